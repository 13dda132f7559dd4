"""Path diagram of a fitted structural model, drawn with matplotlib (no Graphviz program).

Constructs are ellipses laid out by :mod:`govstats.reporting.layout` (roles left to right when an
instrument is given), regressions are arrows labelled with the standardized coefficient and its
stars, non-significant paths (p >= .05) are dashed, and each endogenous construct shows its R².
With ``measurement=True`` the items hang below their construct with their standardized loadings.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from govstats.reporting.layout import ROLE_ORDER, layout
from govstats.reporting.tables import fmt_coef, stars
from govstats.reporting.words import word

COL_STEP, ROW_STEP, ROW_STEP_ITEMS = 3.4, 1.55, 2.5
NODE_W, NODE_H = 2.3, 1.0
ITEM_W, ITEM_H, ITEM_STEP = 0.46, 0.32, 0.52


def structural_rows(results, group: int = 1) -> pd.DataFrame:
    """The regressions of the fit (``op == "~"``) in one group, with their standardized values."""
    p = results.params
    return p[(p.op == "~") & (p.group == group)].reset_index(drop=True)


def node_label(node: str, instrument, lang: str) -> str:
    """The construct's name in ``lang`` over its id, wrapped to fit the ellipse."""
    if instrument is None:
        return node
    try:
        name = instrument.construct(node).name.get(lang)
    except KeyError:
        return node
    width = 9 if lang == "zh" else 20
    if lang == "en":
        lines = textwrap.wrap(name, width)
    else:  # Chinese breaks anywhere: lines of equal length
        per = -(-len(name) // -(-len(name) // width))
        lines = [name[i:i + per] for i in range(0, len(name), per)]
    if len(lines) > 3:  # very long names: the first lines and an ellipsis
        lines = lines[:3]
        lines[-1] = lines[-1][: max(width - 1, 1)] + "…"
    return "\n".join(lines + [f"({node})"])


def bezier(start, end, rad: float, n: int = 41) -> np.ndarray:
    """Points of matplotlib's ``arc3,rad=rad`` curve from ``start`` to ``end`` (equal axis scales)."""
    (x0, y0), (x1, y1) = start, end
    cx, cy = (x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t) ** 2 * np.array([x0, y0]) + 2 * t * (1 - t) * np.array([cx, cy]) + t**2 * np.array([x1, y1])


def bend(start, end, others, candidates=(0.0, 0.15, -0.15, 0.3, -0.3, 0.45, -0.45)) -> float:
    """The least curvature at which an arrow clears the other constructs' ellipses (with a margin);
    the clearest candidate when none does."""
    if not others:
        return 0.0
    centres = np.asarray(others, dtype=float)
    best, best_gap = 0.0, -np.inf
    for rad in candidates:
        pts = bezier(start, end, rad)[4:-4]
        d = (((pts[:, None, 0] - centres[None, :, 0]) / (NODE_W / 2)) ** 2
             + ((pts[:, None, 1] - centres[None, :, 1]) / (NODE_H / 2)) ** 2)
        gap = float(d.min())
        if gap > 1.7:
            return rad
        if gap > best_gap:
            best, best_gap = rad, gap
    return best


def diagram_nodes(results, instrument=None, group: int = 1) -> tuple[list[str], list[tuple[str, str]], dict]:
    """Nodes (instrument order when given), edges (predictor, outcome) and roles of the diagram."""
    rows = structural_rows(results, group)
    edges = list(dict.fromkeys(zip(rows.rhs, rows.lhs)))
    in_model = list(dict.fromkeys([v for e in edges for v in e]))
    roles: dict[str, str] = {}
    if instrument is not None:
        known = [c.id for c in instrument.constructs if c.id in in_model]
        in_model = known + [v for v in in_model if v not in known]
        roles = {c.id: c.role for c in instrument.constructs if c.id in in_model}
    return in_model, edges, roles


def path_diagram(results, instrument=None, lang: str = "en", measurement: bool = False, group: int = 1):
    """Draw the structural model of a fit.

    Parameters
    ----------
    results : SEMResults
        A fit whose model has regressions among its constructs.
    instrument : Instrument, optional
        Names the constructs in ``lang`` and lays them out by role (influencing factors,
        mechanisms, outcomes from left to right); without it, a layered layout by the regressions.
    lang : {"en", "zh"}
    measurement : bool
        Also draw each construct's items and standardized loadings.
    group : int
        The group whose estimates are shown (multiple-group fits).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import pandas as pd
    >>> from govstats import fit, load_instrument
    >>> from govstats.resources import instruments_dir, seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("platform_dilemma"))
    >>> data = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> fig = path_diagram(fit(inst, data), inst, lang="zh")
    >>> [t.get_text() for t in fig.axes[0].texts][:2]
    ['影响因素', '作用机制']
    """
    from govstats.reporting.words import LANGS

    if lang not in LANGS:
        raise ValueError(f"The 'lang' parameter of path_diagram must be one of {set(LANGS)}. Got {lang!r} instead.")
    nodes, edges, roles = diagram_nodes(results, instrument, group)
    if not edges:
        raise ValueError("The model has no regressions between variables ('~' lines): there is no structural "
                         "model to draw.")
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle

    from govstats.reporting.fonts import figure_rc

    place = layout(nodes, edges, roles)
    step = ROW_STEP_ITEMS if measurement else ROW_STEP
    xy = {n: (c * COL_STEP, -r * step) for n, (c, r) in place.items()}
    rows = structural_rows(results, group)
    r2 = results.r2()
    p = results.params
    with rc_context(figure_rc()):
        xs = [v[0] for v in xy.values()]
        ys = [v[1] for v in xy.values()]
        left, right = min(xs) - NODE_W / 2 - 0.4, max(xs) + NODE_W / 2 + 0.4
        bottom, top = min(ys) - NODE_H / 2 - (1.4 if measurement else 0.6), max(ys) + NODE_H / 2 + 0.9
        curves = {}
        for a, b in edges:  # arrows that jump a column bend around the constructs in between
            rad = bend(xy[a], xy[b], [xy[n] for n in nodes if n not in (a, b)])
            curves[a, b] = rad, bezier(xy[a], xy[b], rad)
            bottom = min(bottom, curves[a, b][1][:, 1].min() - 0.3)
            top = max(top, curves[a, b][1][:, 1].max() + 0.75)  # above the role headers
        scale = 0.78  # inches per unit
        fig = Figure(figsize=((right - left) * scale, (top - bottom) * scale))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top)
        ax.set_axis_off()
        if roles:  # the theory's reading: a header over each role's columns
            for role in ROLE_ORDER:
                cols = [place[n][0] for n in nodes if roles.get(n) == role]
                if cols:
                    ax.text((min(cols) + max(cols)) / 2 * COL_STEP, top - 0.35, word(f"role_{role}", lang),
                            ha="center", va="center", fontsize=10, fontweight="bold", color="#333333")
        patches = {}
        for n in nodes:
            x, y = xy[n]
            e = Ellipse((x, y), NODE_W, NODE_H, facecolor="#eef3fa", edgecolor="#1f3b5c", linewidth=1.1, zorder=3)
            ax.add_patch(e)
            patches[n] = e
            ax.text(x, y, node_label(n, instrument, lang), ha="center", va="center", fontsize=7.5, zorder=4,
                    linespacing=1.15)
            if n in r2.index and n in set(rows.lhs):
                # under the ellipse, where the left-to-right arrows do not run (over it when items hang below)
                dy = NODE_H / 2 + 0.06
                ax.text(x, y + dy if measurement else y - dy, f"R² = {fmt_coef(float(r2[n]))}", ha="center",
                        va="bottom" if measurement else "top", fontsize=7, color="#1f3b5c", zorder=4)
        for r in rows.itertuples():
            a, b = r.rhs, r.lhs
            rad, curve = curves[a, b]
            significant = bool(np.isfinite(r.pvalue) and r.pvalue < 0.05)
            arrow = FancyArrowPatch(xy[a], xy[b], patchA=patches[a], patchB=patches[b], arrowstyle="-|>",
                                    mutation_scale=11, linewidth=1.1, color="#222222",
                                    linestyle="-" if significant else (0, (4, 3)),
                                    connectionstyle=f"arc3,rad={rad}", zorder=2)
            ax.add_patch(arrow)
            label = f"{fmt_coef(float(r.std_all))}{stars(r.pvalue)}"
            mx, my = curve[len(curve) // 2 if rad else int(0.45 * (len(curve) - 1))]
            ax.text(mx, my, label, ha="center", va="center", fontsize=7.5, zorder=5,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
        if measurement:
            loadings = p[(p.op == "=~") & (p.group == group)]
            for n in nodes:
                its = loadings[loadings.lhs == n]
                x, y = xy[n]
                k = len(its)
                for j, it in enumerate(its.itertuples()):
                    ix = x + (j - (k - 1) / 2) * ITEM_STEP
                    iy = y - NODE_H / 2 - 0.75
                    ax.add_patch(Rectangle((ix - ITEM_W / 2, iy - ITEM_H / 2), ITEM_W, ITEM_H, facecolor="white",
                                           edgecolor="#555555", linewidth=0.8, zorder=3))
                    ax.text(ix, iy, it.rhs, ha="center", va="center", fontsize=5.5, zorder=4)
                    ax.add_patch(FancyArrowPatch((x, y - NODE_H / 2), (ix, iy + ITEM_H / 2), arrowstyle="-|>",
                                                 mutation_scale=6, linewidth=0.6, color="#555555", zorder=2,
                                                 shrinkA=0, shrinkB=0))
                    ax.text(ix, iy - ITEM_H / 2 - 0.12, fmt_coef(float(it.std_all), 2), ha="center", va="top",
                            fontsize=5, color="#555555")
    return fig
