"""Power curves: power against sample size per target, with Monte Carlo error bars and the .80 line."""

from __future__ import annotations

from pathlib import Path

__all__ = ["power_plot"]

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "DejaVu Sans"]


def power_plot(result, path=None, targets=None):
    """A matplotlib Figure of ``result``'s power curves; written to ``path`` (.png or .svg) when given."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if path is not None and Path(path).suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"The 'path' of a power plot must end in .png or .svg. Got {str(path)!r} instead.")
    summary = result.summary
    names = list(dict.fromkeys(summary.target)) if targets is None else list(targets)
    unknown = [t for t in names if t not in set(summary.target)]
    if unknown:
        raise ValueError(f"No power curve for {unknown}; the run has {list(dict.fromkeys(summary.target))}.")
    goal = result.settings.get("target_power", 0.8)
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": CJK_FONTS, "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for name in names:
            g = summary[summary.target == name].sort_values("n")
            ax.errorbar(g.n, g.power, yerr=1.96 * g.power_mcse, marker="o", capsize=3, label=name)
        ax.axhline(goal, color="grey", linestyle="--", linewidth=1)
        ax.set_xlabel("Sample size (respondents)")
        ax.set_ylabel(f"Power (alpha = {result.settings.get('alpha', 0.05)})")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"Monte Carlo power, {result.settings.get('reps')} replications per N")
        ax.legend(fontsize=8, loc="lower right", ncol=2 if len(names) > 8 else 1)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=150)
        plt.close(fig)
    return fig
