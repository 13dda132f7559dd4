"""Sampling adequacy (Kaiser-Meyer-Olkin) and Bartlett's test of sphericity, as psych::KMO and
psych::cortest.bartlett."""

from __future__ import annotations

import numpy as np
from scipy import stats


def kmo(r: np.ndarray) -> tuple[float, np.ndarray]:
    """Overall MSA and the MSA of every item."""
    q = np.linalg.inv(r)
    partial = -q / np.sqrt(np.outer(np.diag(q), np.diag(q)))
    off = ~np.eye(len(r), dtype=bool)
    r2 = np.where(off, r**2, 0.0)
    p2 = np.where(off, partial**2, 0.0)
    overall = r2.sum() / (r2.sum() + p2.sum())
    items = r2.sum(axis=0) / (r2.sum(axis=0) + p2.sum(axis=0))
    return float(overall), items


def bartlett(r: np.ndarray, n: int) -> dict[str, float]:
    """Chi-square, degrees of freedom and p-value of H0: the correlation matrix is the identity."""
    p = len(r)
    _, logdet = np.linalg.slogdet(r)
    chisq = -((n - 1) - (2 * p + 5) / 6) * logdet
    df = p * (p - 1) / 2
    return {"chisq": float(chisq), "df": float(df), "p": float(stats.chi2.sf(chisq, df))}
