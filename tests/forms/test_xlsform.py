"""XLSForm: converts with pyxform and passes ODK Validate; names, labels, logic, determinism."""

from __future__ import annotations

import io
import json

import pytest
from forms_support import check_golden, seed, with_missing_codes
from pyxform.xls2xform import convert

from govstats import load_instrument
from govstats.forms import to_xform, write_xlsform, xlsform, xlsform_bytes
from govstats.resources import SEED_INSTRUMENTS

ZH, EN = "label::中文 (zh)", "label::English (en)"


@pytest.mark.slow  # ODK Validate on Java
@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_seed_form_passes_odk_validate(name, tmp_path):
    # Written to .xlsx and read back, as a survey team would upload it; validate=True runs
    # the ODK Validate bundled with pyxform on Java.
    path = write_xlsform(seed(name), tmp_path / f"{name}.xlsx")
    result = convert(str(path), validate=True, warnings=(warnings := []))
    assert f'<data id="{name}" version="{seed(name).version}"' in result.xform
    assert warnings == []


def test_field_names_are_the_instrument_columns():
    inst = seed("ri_element")
    form = xlsform(inst)
    fields = [r["name"] for r in form["survey"] if r["type"] not in ("begin_group", "end_group", "note")]
    assert [f for f in fields if f in inst.columns()] == inst.columns()
    assert sorted(set(fields) - set(inst.columns())) == ["deviceid"]


def test_labels_in_both_languages_and_chinese_default():
    inst = seed("party_building")
    form = xlsform(inst)
    rows = {r["name"]: r for r in form["survey"]}
    for item in inst.items:
        assert rows[item.id][ZH] == item.text.zh and rows[item.id][EN] == item.text.en
    for choice in form["choices"]:
        assert choice[ZH] and choice[EN]
    settings = form["settings"][0]
    assert settings == {"form_title": inst.title.zh, "form_id": "party_building", "version": inst.version,
                        "default_language": "中文 (zh)"}
    assert xlsform(inst, default_language="en")["settings"][0]["default_language"] == "English (en)"


def test_consent_first_and_everything_else_relevant_on_consent():
    inst = seed("ri_asset")
    survey = xlsform(inst)["survey"]
    shown = [r for r in survey if r["type"] not in ("start", "end", "deviceid", "calculate")]
    assert shown[0]["name"] == "consent" and shown[0]["required"] == "yes"
    depth, checked = 0, 0
    for r in shown[1:]:
        if r["type"] == "end_group":
            depth -= 1
            continue
        if depth == 0:
            want = "${consent} = '0'" if r["name"] == "consent_declined" else "${consent} = '1'"
            assert r["relevant"].startswith(want), r
            checked += 1
        if r["type"] == "begin_group":
            depth += 1
    assert checked == len(inst.questions) + len(inst.constructs) + 2  # + the two notes


def test_metadata_grids_constraints_and_attention_check():
    inst = seed("ri_element")
    survey = xlsform(inst)["survey"]
    rows = {r["name"]: r for r in survey}
    assert (rows["start_time"]["type"], rows["end_time"]["type"], rows["deviceid"]["type"]) == \
        ("start", "end", "deviceid")
    assert rows["respondent_id"]["calculation"] == "once(uuid())"
    grids = [r for r in survey if r["type"] == "begin_group"]
    assert [g["name"] for g in grids] == [f"grid_{c.id}" for c in inst.constructs]
    assert all(g["appearance"] == "table-list" for g in grids)
    # The attention check sits in the grid of the construct it follows.
    names = [r["name"] for r in survey]
    pl_end = max(i for i, r in enumerate(survey) if r["name"] == "grid_PL")
    assert names.index("AC1") == pl_end - 1 and rows["AC1"]["type"] == "select_one agree5"
    age = rows["age"]
    assert age["constraint"] == ". >= 18 and . <= 100"
    assert age["constraint_message::中文 (zh)"] == "请输入18到100之间的数。"
    assert age["constraint_message::English (en)"] == "Please enter a number from 18 to 100."
    assert rows["integration_mode"]["type"] == "select_multiple integration_mode"
    assert rows["integration_mode"]["relevant"] == \
        "${consent} = '1' and (selected(${role}, '2') or selected(${role}, '3'))"
    for item in inst.items:
        assert rows[item.id]["required"] == "yes"


def test_choice_lists_carry_the_scale_codes():
    inst = seed("ri_asset")
    form = xlsform(inst)
    agree5 = [(c["name"], c[ZH]) for c in form["choices"] if c["list_name"] == "agree5"]
    assert agree5 == [(str(p.code), p.label.zh) for p in inst.scales["agree5"].points]
    consent = [(c["name"], c[EN]) for c in form["choices"] if c["list_name"] == "consent"]
    assert consent == [("1", "Yes, I agree"), ("0", "No, I do not agree")]


@pytest.mark.slow  # ODK Validate on Java
def test_likert_appearance_and_mixed_scales_validate(example, write):
    inst = load_instrument(write(with_missing_codes(example)))
    form = xlsform(inst, grid="likert")
    groups = [r["name"] for r in form["survey"] if r["type"] == "begin_group"]
    assert groups == ["grid_PS", "grid_PS_2", "grid_PS_3", "grid_CI", "grid_PA"]
    ps1 = next(r for r in form["survey"] if r["name"] == "PS1")
    assert ps1["appearance"] == "likert" and ps1["type"] == "select_one agree5dk"
    dk = [c["name"] for c in form["choices"] if c["list_name"] == "agree5dk"]
    assert dk == ["1", "2", "3", "4", "5", "9"]
    assert "<data id=\"example_identity\"" in to_xform(inst, validate=True, grid="likert")


def test_xlsx_is_deterministic_and_round_trips():
    inst = seed("grid_governance")
    data = xlsform_bytes(inst)
    assert data == xlsform_bytes(inst)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in wb["survey"][1]]
    assert header[:4] == ["type", "name", ZH, EN]
    names = [row[1] for row in wb["survey"].iter_rows(min_row=2, values_only=True)]
    assert names == [r["name"] for r in xlsform(inst)["survey"]]


def test_bad_grid_argument():
    with pytest.raises(ValueError, match="The 'grid' parameter of xlsform must be one of"):
        xlsform(seed("ri_asset"), grid="matrix")


def test_golden_xlsform():
    form = xlsform(seed("ri_element"))
    check_golden("ri_element.xlsform.json", json.dumps(form, ensure_ascii=False, indent=1) + "\n")
