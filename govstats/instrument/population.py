"""Population values implied by an instrument: latent correlations and item thresholds.

Every latent variable has variance 1 in the population. Exogenous constructs correlate as
``model.correlations`` says; an endogenous construct ``eta = sum(b_k * eta_k) + zeta`` has
residual variance ``1 - b' R b`` where ``R`` holds the correlations of its predictors,
computed in topological order of the (recursive) structural model.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from govstats.instrument.model import Path

DEFAULT_THRESHOLD_SPAN = 1.5


def topological_order(nodes: Sequence[str], paths: Sequence[Path]) -> list[str] | None:
    """Nodes ordered so that every predictor comes before its outcome; None if there is a cycle."""
    preds = {n: {p.predictor for p in paths if p.outcome == n} for n in nodes}
    order, placed = [], set()
    remaining = list(nodes)
    while remaining:
        ready = [n for n in remaining if preds[n] <= placed]
        if not ready:
            return None
        for n in ready:
            order.append(n)
            placed.add(n)
        remaining = [n for n in remaining if n not in placed]
    return order


def propagate(nodes: Sequence[str], paths: Sequence[Path], correlation: Callable[[str, str], float]):
    """Implied latent correlation matrix and each outcome's explained variance.

    Returns ``(order, matrix, explained)``: ``matrix`` is indexed by ``order``, and
    ``explained[outcome] = b' R b``. Stops (returning what it has) at the first outcome whose
    predictors explain all its variance or more, since nothing after it is meaningful.
    Returns ``None`` for a cyclic model.
    """
    order = topological_order(nodes, paths)
    if order is None:
        return None
    index = {n: i for i, n in enumerate(order)}
    outcomes = {p.outcome for p in paths}
    cov = np.eye(len(order))
    exo = [n for n in order if n not in outcomes]
    for a in exo:
        for b in exo:
            if a != b:
                cov[index[a], index[b]] = correlation(a, b)
    explained: dict[str, float] = {}
    for n in order:
        if n not in outcomes:
            continue
        i = index[n]
        ps = [p for p in paths if p.outcome == n]
        cols = [index[p.predictor] for p in ps]
        b = np.array([p.coefficient for p in ps])
        r = cov[np.ix_(cols, cols)]
        explained[n] = float(b @ r @ b)
        # Cov(eta_n, eta_m) = sum_k b_k Cov(eta_k, eta_m) for every m placed before n.
        before = [index[m] for m in order[:i]]
        row = b @ cov[np.ix_(cols, before)]
        cov[i, before] = row
        cov[before, i] = row
        if explained[n] >= 1:
            break
    return order, cov, explained


def implied_latent_correlations(instrument) -> pd.DataFrame:
    """Population correlations of the modeled constructs (variances 1), as a DataFrame."""
    nodes = [c.id for c in instrument.modeled_constructs]
    order, cov, _ = propagate(nodes, instrument.model.paths, instrument.model.correlation)
    frame = pd.DataFrame(cov, index=order, columns=order)
    return frame.loc[nodes, nodes]


def default_thresholds(n_points: int) -> tuple[float, ...]:
    """Equally spaced standard-normal cut points from -1.5 to 1.5 (0 for two points)."""
    if n_points == 2:
        return (0.0,)
    return tuple(float(t) for t in np.linspace(-DEFAULT_THRESHOLD_SPAN, DEFAULT_THRESHOLD_SPAN, n_points - 1))


def thresholds_from_proportions(proportions: Sequence[float]) -> tuple[float, ...]:
    cum = np.cumsum(proportions)[:-1]
    return tuple(float(t) for t in ndtri(cum))


def proportions_from_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    cdf = np.concatenate([[0.0], ndtr(np.asarray(thresholds, dtype=float)), [1.0]])
    return tuple(float(p) for p in np.diff(cdf))


def resolve_distribution(spec, n_points: int, ordered: bool) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(thresholds, proportions) from a checked ``("proportions"|"thresholds", values)`` spec or the default."""
    if spec is None:
        if ordered:
            t = default_thresholds(n_points)
            return t, proportions_from_thresholds(t)
        p = tuple([1.0 / n_points] * n_points)
        return thresholds_from_proportions(p), p
    kind, values = spec
    if kind == "proportions":
        return thresholds_from_proportions(values), tuple(values)
    return tuple(values), proportions_from_thresholds(values)
