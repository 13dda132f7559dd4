"""Printable questionnaire: every item once and in order; the PDF holds the Chinese text."""

from __future__ import annotations

import html
import io
import re
import sys

import pytest
from forms_support import check_golden, seed, with_missing_codes

from govstats import load_instrument
from govstats.errors import GovstatsError
from govstats.forms import printable, questionnaire_html, questionnaire_pdf
from govstats.resources import SEED_INSTRUMENTS


def data_vars(page: str) -> list[str]:
    return re.findall(r'data-var="([^"]+)"', page)


@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_html_has_every_question_once_in_order(name):
    inst = seed(name)
    page = questionnaire_html(inst, lang="both")
    meta = {inst.metadata.respondent_id, inst.metadata.start, inst.metadata.end}
    assert data_vars(page) == [c for c in inst.columns() if c not in meta]
    cells = {k: v for k, *v in re.findall(r'<tr class="item" data-var="([^"]+)">.*?<td class="text zh" lang="zh">'
                                          r'(.*?)</td><td class="text en" lang="en">(.*?)</td>', page)}
    for item in inst.items:
        assert cells[item.id] == [html.escape(item.text.zh), html.escape(item.text.en)]


def test_one_language_only():
    inst = seed("grid_governance")
    zh, en = questionnaire_html(inst, lang="zh"), questionnaire_html(inst, lang="en")
    for item in inst.items:
        text_zh, text_en = html.escape(item.text.zh), html.escape(item.text.en)
        assert text_zh in zh and text_en not in zh
        assert text_en in en and text_zh not in en
    assert '<html lang="zh">' in zh and '<html lang="en">' in en


def test_grids_codes_and_routing():
    inst = seed("ri_element")
    page = questionnaire_html(inst, lang="both")
    # Grids do not split across pages, and each box has its code printed beside it.
    assert "break-inside: avoid" in page
    row = re.search(r'<tr class="item" data-var="RC1">.*?</tr>', page).group(0)
    assert re.findall(r'<span class="code">(\d+)</span>', row) == ["1", "2", "3", "4", "5"]
    number_of_role = re.search(r'data-var="role"><div class="stem"><span class="num">(\d+)<', page).group(1)
    assert f"（仅当第{number_of_role}题选2或3时回答）" in page
    assert page.count('class="grid"') == len(inst.constructs)


def test_mixed_scales_make_separate_grids(example, write):
    inst = load_instrument(write(with_missing_codes(example)))
    page = questionnaire_html(inst, lang="zh")
    assert page.count('data-construct="PS"') == 3  # agree5dk, agree7, agree5dk (with AC1)
    assert "不清楚" in page  # the missing code is printed as an answer with its code
    order = data_vars(page)
    assert order[order.index("PS1"):][:5] == ["PS1", "PS2", "PS3", "AC1", "CI1"]


def test_bad_lang():
    with pytest.raises(ValueError, match="The 'lang' parameter of questionnaire_html must be one of"):
        questionnaire_html(seed("ri_asset"), lang="fr")


def test_golden_html():
    check_golden("ri_asset.form.html", questionnaire_html(seed("ri_asset"), lang="both"))


def normalized(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.slow  # PDF rendering
@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_pdf_contains_every_items_chinese_text(name):
    import pypdf  # in the test extra: a missing pypdf must fail, not skip
    inst = seed(name)
    reader = pypdf.PdfReader(io.BytesIO(questionnaire_pdf(inst, lang="both")))
    text = normalized("".join(page.extract_text() for page in reader.pages))
    for item in inst.items:
        assert normalized(item.text.zh) in text, item.id
    assert normalized(inst.title.zh) in text and normalized(inst.consent.text.zh) in text
    fonts = {str(f["/BaseFont"]) for p in reader.pages for f in p["/Resources"]["/Font"].get_object().values()}
    assert any("CJK" in f for f in fonts), fonts  # not a fallback font that draws empty boxes


@pytest.mark.slow  # PDF rendering
def test_pdf_is_deterministic():
    inst = seed("platform_dilemma")
    assert questionnaire_pdf(inst, lang="zh") == questionnaire_pdf(inst, lang="zh")


def test_missing_weasyprint_is_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes `import weasyprint` fail
    with pytest.raises(GovstatsError, match=r"pip install 'govstats\[pdf\]'"):
        questionnaire_pdf(seed("ri_asset"))


def test_missing_cjk_font_is_a_clear_message(monkeypatch):
    monkeypatch.setattr(printable, "cjk_font", lambda: None)
    with pytest.raises(GovstatsError, match="apt-get install fonts-noto-cjk"):
        questionnaire_pdf(seed("ri_asset"), lang="zh")
