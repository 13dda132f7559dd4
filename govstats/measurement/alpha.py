"""Cronbach's alpha with its confidence intervals and item statistics, as psych::alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def cronbach_alpha(x: pd.DataFrame) -> float:
    """Raw alpha from the item covariance matrix (psych's ``raw_alpha``)."""
    c = np.cov(x.to_numpy(float), rowvar=False)
    k = c.shape[0]
    return float(k / (k - 1) * (1 - np.trace(c) / c.sum()))


def alpha_ci(x: pd.DataFrame, level: float = 0.95) -> dict[str, float]:
    """Alpha with Feldt's and Duhachek's (asymptotic) confidence intervals, as psych::alpha."""
    v = x.to_numpy(float)
    n, k = v.shape
    c = np.cov(v, rowvar=False)
    a = cronbach_alpha(x)
    z = stats.norm.ppf(0.5 + level / 2)
    # Duhachek & Iacobucci (2004): psych's total$ase
    s, tr, cc = c.sum(), np.trace(c), c @ c
    q = 2 * k**2 / ((k - 1) ** 2 * s**3) * (s * (np.trace(cc) + tr**2) - 2 * tr * cc.sum())
    ase = float(np.sqrt(q / n))
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    return {
        "alpha": a,
        "ase": ase,
        "ci_lower": a - z * ase,
        "ci_upper": a + z * ase,
        "feldt_lower": 1 - (1 - a) * stats.f.ppf(1 - tail, df1, df2),
        "feldt_upper": 1 - (1 - a) * stats.f.ppf(tail, df1, df2),
    }


def item_stats(x: pd.DataFrame) -> pd.DataFrame:
    """Per item: correlation with the total (raw_r), corrected item-total r (r_drop), alpha if deleted."""
    total = x.sum(axis=1)
    rows = []
    for it in x.columns:
        rest = x.drop(columns=it)
        rows.append({
            "item": it,
            "raw_r": float(np.corrcoef(x[it], total)[0, 1]),
            "r_drop": float(np.corrcoef(x[it], rest.sum(axis=1))[0, 1]),
            "alpha_if_deleted": cronbach_alpha(rest) if rest.shape[1] > 1 else float("nan"),
        })
    return pd.DataFrame(rows)
