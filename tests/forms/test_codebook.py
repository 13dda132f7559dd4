"""Codebook: every variable with both texts, codes, construct, reverse flag; DDI 2.5 structure."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from forms_support import check_golden, seed, with_missing_codes

from govstats import load_instrument
from govstats.forms import codebook, codebook_html, codebook_markdown, ddi_codebook, write_schema
from govstats.resources import SEED_INSTRUMENTS

NS = {"d": "ddi:codebook:2_5"}
LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def by_lang(elements):
    return {e.get(LANG): e.text for e in elements}


@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_ddi_describes_every_variable(name):
    inst = seed(name)
    root = ET.fromstring(ddi_codebook(inst))
    assert root.tag == "{ddi:codebook:2_5}codeBook" and root.get("version") == "2.5"
    assert root.find("d:stdyDscr/d:citation/d:titlStmt/d:IDNo", NS).text == name
    assert root.find("d:stdyDscr/d:citation/d:verStmt/d:version", NS).text == inst.version
    variables = root.findall("d:dataDscr/d:var", NS)
    assert [v.get("name") for v in variables] == inst.columns()
    assert root.find("d:fileDscr/d:fileTxt/d:dimensns/d:varQnty", NS).text == str(len(inst.columns()))
    var = {v.get("name"): v for v in variables}
    for item in inst.items:
        v = var[item.id]
        assert by_lang(v.findall("d:qstn/d:qstnLit", NS)) == {"zh": item.text.zh, "en": item.text.en}
        assert v.find("d:concept", NS).text == item.construct and v.get("nature") == "ordinal"
        cats = [(c.find("d:catValu", NS).text, by_lang(c.findall("d:labl", NS))) for c in v.findall("d:catgry", NS)]
        assert cats == [(str(p.code), {"zh": p.label.zh, "en": p.label.en}) for p in item.scale.points]
        notes = v.find("d:notes", NS)
        assert (notes is not None and "Reverse-coded" in notes.text) == item.reverse
    groups = root.findall("d:dataDscr/d:varGrp", NS)
    assert [g.get("name") for g in groups] == [c.id for c in inst.constructs]
    assert [g.get("var").split() for g in groups] == [[f"V_{i}" for i in c.item_ids] for c in inst.constructs]
    # Every ID a group refers to exists (IDREFS), and children come in the schema's order.
    ids = {v.get("ID") for v in variables}
    assert all(ref in ids for g in groups for ref in g.get("var").split())
    order = ["labl", "qstn", "valrng", "invalrng", "universe", "catgry", "concept", "varFormat", "notes"]
    for v in variables:
        tags = [c.tag.split("}")[1] for c in v]
        assert tags == sorted(tags, key=order.index), (v.get("name"), tags)


def test_ddi_ranges_routing_and_missing_codes(example, write):
    inst = load_instrument(write(with_missing_codes(example)))
    var = {v.get("name"): v for v in ET.fromstring(ddi_codebook(inst)).findall("d:dataDscr/d:var", NS)}
    hours = var["volunteer_hours"].find("d:valrng/d:range", NS)
    assert (hours.get("min"), hours.get("max"), var["volunteer_hours"].get("nature")) == ("0", "200", "ratio")
    assert [i.get("VALUE") for i in var["PS1"].findall("d:invalrng/d:item", NS)] == ["9"]
    missing = [c for c in var["PS1"].findall("d:catgry", NS) if c.get("missing") == "Y"]
    assert [c.find("d:catValu", NS).text for c in missing] == ["9"]
    element = seed("ri_element")
    var = {v.get("name"): v for v in ET.fromstring(ddi_codebook(element)).findall("d:dataDscr/d:var", NS)}
    assert var["integration_mode"].find("d:universe", NS).text == \
        "Respondents whose answer to role is one of 2, 3."
    assert var["integration_mode"].find("d:qstn", NS).get("responseDomainType") == "multiple"


def test_codebook_table():
    inst = seed("platform_dilemma")
    cb = codebook(inst)
    assert cb["variable"].tolist() == inst.columns()
    row = cb.set_index("variable").loc[inst.items[0].id]
    assert row["question_zh"] == inst.items[0].text.zh and row["question_en"] == inst.items[0].text.en
    assert row["codes"].startswith("1 = 非常不同意 (Strongly disagree); 2 = ")
    assert cb.loc[cb["reverse"], "variable"].tolist() == [i.id for i in inst.items if i.reverse]
    assert cb.set_index("variable").loc["AC1", "kind"] == "attention_check"


def test_markdown_and_html_list_every_variable_once():
    inst = seed("ri_element")
    md = codebook_markdown(inst)
    page = codebook_html(inst)
    for item in inst.items:
        assert md.count(f"`{item.id}`") == 1 and page.count(f"<code>{item.id}</code>") == 1
        assert item.text.zh in md and item.text.en in md
    assert "| RC | 社区资源特征 | Characteristics of community resources | factor | RC1, RC2, RC3, RC4 | RC4 |" in md
    assert "| 9 | 不清楚" not in md  # the seed scales have no missing codes
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page


def test_schema_command_picks_markdown_or_html_by_suffix(tmp_path):
    inst = seed("ri_asset")
    assert write_schema(inst, tmp_path / "cb.md", format="codebook").read_text(encoding="utf-8").startswith("# ")
    assert write_schema(inst, tmp_path / "cb.html", format="codebook").read_text(encoding="utf-8").startswith("<!DOCTYPE")
    with pytest.raises(ValueError, match="The 'format' parameter of write_schema must be one of"):
        write_schema(inst, tmp_path / "x", format="spss")


def test_golden_codebooks():
    inst = seed("ri_asset")
    check_golden("ri_asset.codebook.md", codebook_markdown(inst))
    check_golden("ri_asset.ddi.xml", ddi_codebook(inst))
