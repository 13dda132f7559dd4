"""The :class:`Report`: sections of tables and figures in paper order, the paragraph, and writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from govstats.reporting.figures import Figure
from govstats.reporting.tables import Table
from govstats.reporting.words import LANGS, word


@dataclass
class Section:
    key: str
    title: str
    blocks: list = field(default_factory=list)  # Table and Figure objects, in order
    text: str = ""  # a paragraph under the heading (what is missing and how to add it)


@dataclass
class Report:
    """A report of an instrument's data: tables, figures and the methods-and-results paragraph.

    Attributes
    ----------
    title : str
    lang : {"zh", "en"}
    paragraph : str
        Methods and results in APA style, the numbers of the tables.
    sections : list of Section
    analyses : Analyses
        The results the report shows (check, EFA, reliability, Harman, fit, effects, extras).
    """

    title: str
    lang: str
    paragraph: str
    sections: list
    analyses: object
    subtitle: str = ""

    @property
    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    @property
    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]

    def table(self, key: str) -> pd.DataFrame:
        """The numbers of a table (``"sample"``, ``"fit"``, ``"paths"``, ``"effects"``, ...) as a DataFrame."""
        for t in self.tables:
            if t.key == key:
                return t.data
        raise KeyError(f"no table {key!r} in this report; tables: {[t.key for t in self.tables]}")

    def figure(self, key: str) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(f"no figure {key!r} in this report; figures: {[f.key for f in self.figures]}")

    def to_html(self, path: str | Path | None = None) -> str:
        """One self-contained HTML page (inline CSS and SVG, nothing fetched); written to ``path`` if given."""
        from govstats.reporting.html import report_html

        text = report_html(self)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_docx(self, path: str | Path) -> Path:
        """A Word document with the same tables (three-line), figures and paragraph."""
        from govstats.reporting.docx import write_docx

        return write_docx(self, Path(path))

    def _repr_html_(self) -> str:
        from govstats.reporting.html import report_body
        from govstats.reporting.tables import THREE_LINE_CSS

        return f"<style>{THREE_LINE_CSS}</style>" + report_body(self)


def number(sections: list[Section]) -> None:
    """Number tables and figures in the order they appear."""
    t = f = 0
    for s in sections:
        for b in s.blocks:
            if isinstance(b, Table):
                t += 1
                b.number = t
            else:
                f += 1
                b.number = f


def build_report(a, lang: str = "zh", measurement_diagram: bool = False, data_name: str = "") -> Report:
    """Tables, figures and paragraph of the analyses ``a``."""
    import govstats
    from govstats.reporting import sections as S
    from govstats.reporting.diagram import path_diagram
    from govstats.reporting.figures import render
    from govstats.reporting.plots import blanks_plot, likert_bars, power_plot, scree_plot
    from govstats.reporting.prose import paragraph

    if lang not in LANGS:
        raise ValueError(f"The 'lang' parameter of report must be one of {set(LANGS)}. Got {lang!r} instead.")
    inst = a.instrument
    w = lambda k: word(k, lang)  # noqa: E731
    items = [i.id for i in inst.items if i.id in a.used.columns]
    secs = [Section("sample", w("s_sample"), [S.sample_table(a, lang)])]
    problems = S.quality_table(a, lang)
    quality = ([problems] if len(problems.data) else []) + [S.flags_table(a, lang)]
    if a.used[items].isna().to_numpy().any():
        quality.append(render(blanks_plot(a.used, items, lang), "blanks", w("f_blanks"), lang=lang))
    secs.append(Section("quality", w("s_quality"), quality))
    secs.append(Section("items", w("s_items"), [
        S.items_table(a, lang), render(likert_bars(a.used, inst, lang), "likert", w("f_likert"), lang=lang)]))
    secs.append(Section("measurement", w("s_measurement"), [
        S.adequacy_table(a, lang), render(scree_plot(a.efa.scree, lang), "scree", w("f_scree"), lang=lang),
        S.efa_table(a, lang), S.cfa_table(a, lang), S.reliability_table(a, lang), S.fornell_table(a, lang),
        S.htmt_table(a, lang), S.cmv_table(a, lang)]))
    secs.append(Section("fit", w("s_fit"), [S.fit_table(a, lang)]))
    diagram = render(path_diagram(a.fit, inst, lang=lang, measurement=measurement_diagram), "diagram",
                     w("f_diagram"), w("d_caption") + " " + S.abbreviations(
                         inst, [c.id for c in inst.modeled_constructs], lang), lang=lang)
    secs.append(Section("paths", w("s_paths"), [diagram, S.paths_table(a, lang), S.r2_table(a, lang)]))
    effects = [S.effects_table(a, lang)] if len(a.effects) else []
    boot = getattr(a.effects_fit, "bootstrap", None)
    if effects and boot is not None and boot.requested:
        fig = indirect_draws_figure(a, lang)
        if fig is not None:
            effects.append(fig)
    if effects:
        secs.append(Section("effects", w("s_effects"), effects))
    for name in ("invariance", "multilevel", "power"):
        if name in a.extras:
            blocks = [S.extra_table(name, a.extras[name], lang)]
            if name == "power" and {"n", "power"} <= set(a.extras[name].columns):
                blocks.append(render(power_plot(a.extras[name], lang), "power_curves", w("f_power"), lang=lang))
            secs.append(Section(name, w(f"s_{name}"), blocks))
        elif f"{name}_unavailable" in a.notes or f"{name}_failed" in a.notes:
            secs.append(Section(name, w(f"s_{name}"), [], word(
                f"hook_{'failed' if f'{name}_failed' in a.notes else 'missing'}", lang, name=name)))
    number(secs)
    title = word("report_title", lang, title=inst.title.get(lang))
    subtitle = word("generated", lang, version=govstats.__version__, instrument=inst.id, inst_version=inst.version,
                    data=data_name or f"N = {len(a.data)}")
    return Report(title=title, lang=lang, paragraph=paragraph(a, lang), sections=secs, analyses=a, subtitle=subtitle)


def indirect_draws_figure(a, lang: str):
    """Histograms of the bootstrap draws of the standardized specific indirect effects (the
    product of the std.all coefficients along each chain, draw by draw)."""
    from govstats.reporting.figures import render
    from govstats.reporting.plots import bootstrap_plot

    t = a.effects[(a.effects.effect == "indirect") & (a.effects.group == 1)].head(9)  # more would not be read
    if t.empty:
        return None
    draws = a.effects_fit.bootstrap_draws()
    columns = {}
    for path in t.path:
        nodes = path.split(" -> ")
        names = [f"std.all:{b}~{a_}" for a_, b in zip(nodes, nodes[1:])]
        if not all(n in draws.columns for n in names):  # a labelled path: named by its label
            return None
        columns[path.replace(" -> ", " → ")] = draws[names].prod(axis=1, skipna=False)
    frame = pd.DataFrame(columns)
    names = list(frame.columns)
    est = pd.Series(t.std_all.to_numpy(), index=names)
    ci = pd.DataFrame({"lo": t.std_ci_lower.to_numpy(), "hi": t.std_ci_upper.to_numpy()}, index=names)
    return render(bootstrap_plot(frame, est, ci, lang), "bootstrap", word("f_bootstrap", lang), lang=lang)
