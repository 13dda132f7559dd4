"""APA cells, three-line tables, and Chinese glyphs that render (not boxes)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from govstats import load_instrument
from govstats.reporting.fonts import cjk_family, figure_rc, missing_glyphs
from govstats.reporting.hooks import as_frame
from govstats.reporting.tables import Table, cell, p_text, stars
from govstats.reporting.words import RULES_ZH, WORDS
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path


def test_apa_cells():
    assert cell(0.9123, "r3") == ".912" and cell(-0.05, "r2") == "-.05" and cell(1.0021, "r3") == "1.002"
    assert cell(283.274, "f2") == "283.27" and cell(291.0, "int") == "291" and cell(0.2161, "pct") == "21.6"
    assert cell(np.nan, "r3") == "" and cell("a", "r3") == "a"
    assert p_text(0.0004) == "< .001" and p_text(0.0123) == ".012" and p_text(0.616) == ".616"
    assert [stars(p) for p in (0.0001, 0.004, 0.03, 0.2, np.nan)] == ["***", "**", "*", "", ""]
    with pytest.raises(ValueError, match="'kind' parameter of cell"):
        cell(1.0, "f9")


def test_three_line_table_html():
    t = Table("fit", "Model fit", pd.DataFrame({"CFI": [0.961], "Model": ["one"]}, index=pd.Index(["a"], name="Row")),
              {"CFI": "r3"}, "Conventional criteria.", number=3)
    html = t.to_html()
    assert '<table class="apa">' in html and "<b>Table 3</b><i>Model fit</i>" in html
    assert "<td>.961</td>" in html and '<td class="text">one</td>' in html and "Conventional criteria." in html
    assert "border-top: 2px solid" in t._repr_html_()  # the three rules come with the notebook view
    assert "Table 3. Model fit" in str(t)


def test_every_word_and_rule_in_both_languages():
    from govstats.data.rules import RULES

    assert all(len(v) == 2 and all(v) or k == "c_sig" for k, v in WORDS.items())
    assert set(RULES) <= set(RULES_ZH)


def test_optional_results_are_read_as_tables():
    frame = pd.DataFrame({"model": ["configural"], "cfi": [0.95]})

    class WithTable:
        def table(self):
            return frame

    class WithToFrame:
        def to_frame(self):
            return frame

    assert as_frame(frame, "invariance") is frame
    assert as_frame(WithTable(), "invariance") is frame and as_frame(WithToFrame(), "power") is frame
    with pytest.raises(ValueError, match="'multilevel' parameter of report must be a DataFrame"):
        as_frame(object(), "multilevel")


def _glyph(char: str, families) -> np.ndarray:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with rc_context({**figure_rc(), "font.family": families}), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DejaVu alone warns of the missing glyphs
        fig = Figure(figsize=(0.6, 0.6), dpi=60)
        fig.text(0.5, 0.5, char, ha="center", va="center", fontsize=28)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[:, :, 0].copy()


def test_chinese_labels_have_glyphs_in_the_font_used():
    family = cjk_family()
    assert family is not None, "no CJK font: install fonts-noto-cjk"
    text = "".join(c.name.zh + c.definition.zh for name in SEED_INSTRUMENTS
                   for c in load_instrument(seed_instrument_path(name)).constructs)
    text += "".join(v[0] for v in WORDS.values())
    assert missing_glyphs(text, family) == set()


def test_rendered_chinese_is_not_tofu():
    ours = figure_rc()["font.family"]
    a, b = _glyph("治", ours), _glyph("理", ours)
    assert (a < 128).sum() > 20 and (b < 128).sum() > 20  # ink on the canvas
    assert not np.array_equal(a, b)  # two characters, two shapes
    # without the CJK font both come out as the same empty box: what this test exists to catch
    assert np.array_equal(_glyph("治", ["DejaVu Sans"]), _glyph("理", ["DejaVu Sans"]))


def test_check_and_harman_results_show_tables_in_notebooks():
    from govstats import check_responses, read_responses
    from govstats.measurement import harman
    from govstats.resources import instruments_dir

    inst = load_instrument(seed_instrument_path("ri_asset"))
    data = read_responses(instruments_dir().parent / "data" / "synthetic" / "ri_asset_messy.csv", inst)
    check = check_responses(inst, data)
    html = check._repr_html_()
    assert "attention-check" in html and f"Flagged respondents ({len(check.flagged)}" in html
    h = harman(data, items=[i.id for i in inst.items])
    assert "<table>" in h._repr_html_() and f"{h.first_component_share:.3f}".lstrip("0") in h._repr_html_()


def test_what_the_analyses_left_out_is_said():
    from govstats.reporting.sections import exclusions_note

    ex = {"n_input": 600, "n_used": 585, "off_scale": 12, "no_consent": 3, "declared_missing": 40}
    assert exclusions_note(ex, "en") == ("The analyses also left out respondents: 3 without consent, 12 with off-scale "
                                         "codes. 40 answers with a declared missing code were read as blank.")
    assert "有量表外代码 12 名" in exclusions_note(ex, "zh")
    assert exclusions_note({"n_input": 600, "n_used": 600}, "en") == "" and exclusions_note({}, "zh") == ""
