"""report(): its tables against the results they come from, the DOCX read back, the HTML page
self-contained, the paragraph's numbers, the path diagram, and the optional tables."""

import dataclasses
import re
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from govstats import fit, load_instrument, read_responses
from govstats.reporting import path_diagram, report
from govstats.reporting.analyses import run_analyses
from govstats.reporting.build import build_report
from govstats.reporting.tables import cell
from govstats.resources import instruments_dir, seed_instrument_path

DATA = instruments_dir().parent / "data" / "synthetic"


@pytest.fixture(scope="module")
def analyses():
    inst = load_instrument(seed_instrument_path("platform_dilemma"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_analyses(inst, read_responses(DATA / "platform_dilemma.csv", inst))


# Chinese in the fast suite (the harder case for fonts and Word); English in the full run
@pytest.fixture(scope="module", params=["zh", pytest.param("en", marks=pytest.mark.slow)])
def built(request, analyses):
    return build_report(analyses, request.param)


def test_tables_hold_the_results(built, analyses):
    a = analyses
    f = a.fit.fit_measures
    fit_row = built.table("fit").iloc[0]
    assert fit_row["χ²"] == f["chisq"] and fit_row["df"] == f["df"] and fit_row["CFI"] == f["cfi"]
    assert fit_row["RMSEA 90% CI"] == f"[{cell(f['rmsea_ci_lower'], 'r3')}, {cell(f['rmsea_ci_upper'], 'r3')}]"
    p = a.fit.params
    paths = p[p.op == "~"]
    beta = built.table("paths").iloc[:, 2]
    assert np.allclose(beta.to_numpy(), paths.std_all.to_numpy())
    assert list(built.table("paths").index) == [f"{r.rhs} → {r.lhs}" for r in paths.itertuples()]
    rel = built.table("reliability")
    assert np.allclose(rel.iloc[:, 1], a.reliability.table["alpha"]) and np.allclose(rel.iloc[:, 4],
                                                                                     a.reliability.table["ave"])
    fl = built.table("fornell_larcker").to_numpy()
    assert np.allclose(np.diag(fl), np.sqrt(list(a.reliability.validity.ave.values())))
    assert np.isnan(fl[0, 1])  # lower triangle only
    eff = built.table("effects")
    assert np.allclose(eff.iloc[:, 2].to_numpy(dtype=float), a.effects.std_all.to_numpy())
    assert built.table("adequacy").iloc[0, 0] == cell(a.efa.kmo, "r3")
    assert built.table("sample").iloc[0, 1] == len(a.data)
    assert [t.number for t in built.tables] == list(range(1, len(built.tables) + 1))


def test_docx_reads_back_as_the_tables(built, analyses, tmp_path):
    from docx import Document
    from docx.oxml.ns import qn

    path = built.to_docx(tmp_path / "r.docx")
    doc = Document(str(path))
    assert len(doc.tables) == len(built.tables)
    for table, t in zip(built.tables, doc.tables):
        rows = [[c.text for c in r.cells] for r in t.rows]
        assert rows[0] == table.header() and rows[1:] == table.rows(), table.key
        # three rules: above and below the header, below the last row; no vertical lines
        first, last = t.rows[0].cells[1]._tc, t.rows[-1].cells[1]._tc
        borders = first.tcPr.find(qn("w:tcBorders"))
        assert borders.find(qn("w:top")).get(qn("w:sz")) == "12" and borders.find(qn("w:bottom")).get(qn("w:sz")) == "6"
        assert last.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom")).get(qn("w:sz")) == "12"
        table_borders = t._tbl.tblPr.find(qn("w:tblBorders"))
        assert table_borders.find(qn("w:insideV")).get(qn("w:val")) == "nil"
    # the numbers in Word are the fit's, as APA prints them
    f = analyses.fit.fit_measures
    fit_table = next(t for t, rt in zip(doc.tables, built.tables) if rt.key == "fit")
    cells = {h: c.text for h, c in zip([c.text for c in fit_table.rows[0].cells], fit_table.rows[1].cells)}
    assert cells["χ²"] == f"{f['chisq']:.2f}" and cells["CFI"] == f"{f['cfi']:.3f}".replace("0.", ".", 1)
    assert cells["SRMR"] == f"{f['srmr']:.3f}".lstrip("0")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert built.paragraph in text and all(t.title in text for t in built.tables)
    assert len(doc.inline_shapes) == len(built.figures)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.links, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("src", "href") or (k.endswith("href") and v)]

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_one_self_contained_page(built, analyses, tmp_path):
    page = built.to_html(tmp_path / "r.html")
    parsed = _Page()
    parsed.feed(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert all(link.startswith("#") for link in parsed.links), [x for x in parsed.links if not x.startswith("#")]
    assert not re.search(r"url\((?!#)", page) and "@import" not in page  # url(#clip) points inside the page
    assert page.count("<svg") == len(built.figures)
    text = " ".join(parsed.text)
    inst = analyses.instrument
    assert all(t.title in text for t in built.tables) and all(f.title in text for f in built.figures)
    assert all(c.name.get(built.lang) in text for c in inst.modeled_constructs)
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == page


def test_paragraph_states_the_numbers_and_criteria(built, analyses):
    f = analyses.fit.fit_measures
    text = built.paragraph
    assert f"χ²({f['df']:.0f}) = {f['chisq']:.2f}" in text
    assert f"SRMR = {cell(f['srmr'], 'r3')}" in text and f"CFI = {cell(f['cfi'], 'r2')}" in text
    assert f"{analyses.efa.n_suggested}" in text and cell(analyses.efa.kmo, "r3") in text
    assert ("达到常用标准" if built.lang == "zh" else "meet the conventional criteria") in text


def test_notebook_view(built):
    html = built._repr_html_()
    assert "border-top: 2px solid" in html and built.tables[0].title in html


def test_optional_tables_are_shown_when_given(analyses):
    invariance = pd.DataFrame({"model": ["configural", "metric"], "cfi": [0.95, 0.949], "delta_cfi": [np.nan, -0.001]})

    class Power:
        def table(self):
            return pd.DataFrame({"parameter": ["AU~RD"] * 3, "n": [100, 200, 300], "power": [0.4, 0.7, 0.9]})

    from govstats.reporting.hooks import as_frame

    a = dataclasses.replace(analyses, extras={"invariance": invariance, "power": as_frame(Power(), "power")})
    rep = build_report(a, "en")
    assert rep.table("invariance").loc["metric", "cfi"] == 0.949
    assert rep.table("power").shape == (3, 2) and rep.figure("power_curves").number == len(rep.figures)
    assert [s.title for s in rep.sections][-2:] == ["Measurement invariance", "Statistical power"]


def test_missing_optional_analysis_is_said_with_how_to_wire_it(analyses):
    a = dataclasses.replace(analyses, notes=analyses.notes + ["invariance_unavailable"])
    section = next(s for s in build_report(a, "en").sections if s.key == "invariance")
    assert "this installation has no govstats.invariance" in section.text
    assert "report(..., invariance=result)" in section.text


def test_bad_arguments_name_the_parameter():
    inst = load_instrument(seed_instrument_path("platform_dilemma"))
    data = pd.read_csv(DATA / "platform_dilemma.csv")
    with pytest.raises(ValueError, match="'lang' parameter of report"):
        report(inst, data, lang="fr")
    with pytest.raises(ValueError, match="'estimator' parameter of report"):
        report(inst, data, estimator="GLS")
    with pytest.raises(ValueError, match="'group' parameter of report names a column"):
        report(inst, data, group="province")
    with pytest.raises(ValueError, match="'bootstrap' parameter of report"):
        report(inst, data, bootstrap=-1)


def test_path_diagram_dashes_non_significant_paths_and_layers_plain_syntax():
    data = pd.read_csv(DATA / "platform_dilemma.csv")
    model = """GP =~ GP1 + GP2 + GP3 + GP4
    RD =~ RD1 + RD2 + RD3 + RD4
    AU =~ AU1 + AU2 + AU3 + AU4
    PP =~ PP1 + PP2 + PP3 + PP4 + PP5
    RD ~ GP
    AU ~ RD + GP
    PP ~ AU + RD + GP"""
    res = fit(model, data)
    fig = path_diagram(res)
    ax = fig.axes[0]
    from matplotlib.patches import FancyArrowPatch

    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    paths = res.params[res.params.op == "~"]
    assert len(arrows) == len(paths)
    dashed = [a.get_linestyle() != "-" for a in arrows]
    assert dashed == [bool(p >= 0.05) for p in paths.pvalue] and any(dashed) and not all(dashed)
    # the layered layout: GP, RD, AU, PP left to right
    x = {t.get_text(): t.get_position()[0] for t in ax.texts if t.get_text() in ("GP", "RD", "AU", "PP")}
    assert x["GP"] < x["RD"] < x["AU"] < x["PP"]
    labels = {t.get_text() for t in ax.texts}
    assert {f"{cell(b, 'r2')}{'***' if p < .001 else '**' if p < .01 else '*' if p < .05 else ''}"
            for b, p in zip(paths.std_all, paths.pvalue)} <= labels
    assert any(t.startswith("R² = ") for t in labels)


def test_path_diagram_in_chinese_has_no_missing_glyphs(analyses):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        fig = path_diagram(analyses.fit, analyses.instrument, lang="zh", measurement=True)
        import io

        fig.savefig(io.BytesIO(), format="png", dpi=50)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"影响因素", "作用机制", "治理成效"} <= texts
    assert any("社会组织自主性" in t for t in texts)
    assert {"AU1", "PP5"} <= texts  # the measurement part


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_invariance_and_multilevel_tables_read_the_results(analyses, lang):
    import govstats
    from govstats.measurement.multilevel import multilevel

    inst, used = analyses.instrument, analyses.used
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inv = govstats.invariance(inst, used, group="district", levels=["configural", "metric", "scalar"])
        ml = multilevel(inst, used, cluster="community_id", mixed=False)
    a = dataclasses.replace(analyses, extras={"invariance": inv.table, "multilevel": ml.table})
    rep = build_report(a, lang)
    t = rep.table("invariance")
    assert len(t) == 3 and t.columns[0] == "χ²"
    np.testing.assert_allclose(t["χ²"].to_numpy(), inv.table["chisq"].to_numpy())  # ML: the plain statistic
    np.testing.assert_allclose(t["p"].to_numpy()[1:], inv.table["pvalue_diff"].to_numpy()[1:])
    verdicts = {"holds": "成立", "fails": "不成立"} if lang == "zh" else {"holds": "holds", "fails": "fails"}
    for shown, decided in zip(t.iloc[1:, -1], inv.table["decision"].iloc[1:]):
        assert shown.startswith(verdicts[decided])
    m = rep.table("multilevel")
    np.testing.assert_allclose(m["ICC(1)"].to_numpy(), ml.table["icc1"].to_numpy())
    assert list(m.index) == list(ml.table.index)
    aggregable = "可聚合" if lang == "zh" else "aggregable"
    ok = ml.table[["icc1_ok", "icc2_ok", "rwg_ok"]].all(axis=1).to_numpy()
    assert [c.startswith(aggregable) for c in m.iloc[:, -1]] == list(ok)
