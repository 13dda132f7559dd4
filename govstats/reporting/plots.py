"""Plots where readers look rather than read: scree with parallel analysis, stacked Likert bars,
blanks per item, bootstrap distributions of indirect effects, power curves. Each function
returns a matplotlib Figure drawn with the report's fonts (Chinese labels render)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.reporting.words import word


def _figure(width: float, height: float, left: float = 0.7, right: float = 0.15, bottom: float = 0.5,
            top: float = 0.15, wspace: float = 0.25, hspace: float = 0.5):
    """A figure with fixed margins in inches: a constrained or tight layout would run a full draw
    for each file written (SVG and PNG), which took most of a report's time."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                        wspace=wspace, hspace=hspace)
    return fig


def _rc():
    from matplotlib import rc_context

    from govstats.reporting.fonts import figure_rc

    return rc_context(figure_rc())


def scree_plot(scree: pd.DataFrame, lang: str = "en"):
    """Observed eigenvalues of the factors against the simulated ones (95th percentile), as
    psych's fa.parallel draws them; ``scree`` is :attr:`EFAResults.scree`."""
    labels = {"zh": ("因子序号", "特征值", "实际数据", "模拟数据（95% 分位）"),
              "en": ("Factor number", "Eigenvalue", "Observed", "Simulated (95th percentile)")}[lang]
    with _rc():
        fig = _figure(5.2, 3.2)
        ax = fig.add_subplot()
        k = np.arange(1, len(scree) + 1)
        ax.plot(k, scree["fa_observed"], "o-", color="#1f3b5c", markersize=3.5, label=labels[2])
        ax.plot(k, scree["fa_simulated_q"], "--", color="#c0392b", label=labels[3])
        ax.axhline(0, color="#999999", linewidth=0.6)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.legend(frameon=False)
    return fig


def likert_bars(data: pd.DataFrame, instrument, lang: str = "en"):
    """Stacked horizontal bars of the answer shares of every item, grouped by construct."""
    constructs = [c for c in instrument.constructs if any(i in data.columns for i in c.item_ids)]
    items = [(c, it) for c in constructs for it in c.items if it.id in data.columns]
    scale = items[0][1].scale
    codes = list(scale.codes)
    from matplotlib import colormaps

    colours = colormaps["RdBu"](np.linspace(0.1, 0.9, len(codes)))
    with _rc():
        fig = _figure(7.0, 0.9 + 0.19 * len(items) + 0.12 * len(constructs), left=0.9, top=0.55, bottom=0.35)
        ax = fig.add_subplot()
        ypos, labels, y = [], [], 0.0
        for c in constructs:
            for it in c.items:
                if it.id in data.columns:
                    ypos.append(y)
                    labels.append(f"{c.id} · {it.id}")
                    y += 1
            y += 0.6  # a gap between constructs
        shares = np.array([[(data[it.id] == code).sum() for code in codes] for _, it in items], dtype=float)
        totals = shares.sum(axis=1, keepdims=True)
        shares = np.divide(shares, totals, out=np.zeros_like(shares), where=totals > 0)
        left = np.zeros(len(items))
        for j, code in enumerate(codes):
            try:
                name = f"{code} {scale.label_of(code, lang)}"
            except KeyError:
                name = str(code)
            ax.barh(ypos, shares[:, j], left=left, color=colours[j], height=0.8, label=name)
            left += shares[:, j]
        ax.set_yticks(ypos, labels, fontsize=6.5)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.legend(ncols=min(len(codes), 5), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=7)
    return fig


def blanks_plot(data: pd.DataFrame, items: list[str], lang: str = "en"):
    """Share of blank answers per item."""
    share = data[items].isna().mean()
    with _rc():
        fig = _figure(7.0, 2.6, bottom=0.6)
        ax = fig.add_subplot()
        ax.bar(range(len(items)), share.to_numpy(), color="#1f3b5c")
        ax.set_xticks(range(len(items)), items, rotation=90, fontsize=6)
        ax.set_ylabel(word("c_blank", lang))
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.1f}%")
        ax.set_xlim(-0.7, len(items) - 0.3)
    return fig


def bootstrap_plot(draws: pd.DataFrame, estimates: pd.Series, intervals: pd.DataFrame, lang: str = "en"):
    """Histogram of the bootstrap draws of each indirect effect (columns of ``draws``), with the
    estimate and the interval's limits."""
    k = draws.shape[1]
    ncols = min(k, 3)
    nrows = -(-k // ncols)
    with _rc():
        fig = _figure(2.4 * ncols, 1.9 * nrows, left=0.3, bottom=0.35, top=0.3, hspace=0.55)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax, name in zip(axes.flat, draws.columns):
            x = draws[name].dropna().to_numpy()
            ax.hist(x, bins=30, color="#9fb6d1", edgecolor="white", linewidth=0.3)
            ax.axvline(estimates[name], color="#1f3b5c", linewidth=1.2)
            for v in intervals.loc[name]:
                ax.axvline(v, color="#c0392b", linestyle="--", linewidth=0.9)
            ax.axvline(0, color="#777777", linewidth=0.6)
            ax.set_title(name, fontsize=7)
            ax.tick_params(labelsize=6)
        for ax in list(axes.flat)[k:]:
            ax.set_axis_off()
    return fig


def power_plot(table: pd.DataFrame, lang: str = "en"):
    """Power against sample size, one line per parameter (columns ``n``, ``power`` and, if
    present, ``parameter``), with the conventional .80 line."""
    labels = {"zh": ("样本量 N", "检验力"), "en": ("Sample size N", "Power")}[lang]
    with _rc():
        fig = _figure(5.2, 3.2)
        ax = fig.add_subplot()
        groups = table.groupby("parameter", sort=False) if "parameter" in table.columns else [("", table)]
        for name, part in groups:
            part = part.sort_values("n")
            ax.plot(part["n"], part["power"], "o-", markersize=3, label=str(name) if name != "" else None)
        ax.axhline(0.8, color="#c0392b", linestyle="--", linewidth=0.8)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        if "parameter" in table.columns and table["parameter"].nunique() <= 12:
            ax.legend(frameon=False, fontsize=6.5)
    return fig
