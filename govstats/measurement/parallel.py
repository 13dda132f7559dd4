"""Horn's parallel analysis, as psych::fa.parallel (normal simulated data, 95th percentile rule)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.measurement.factoring import minres_one


def reduced_eigenvalues(r: np.ndarray) -> np.ndarray:
    """Eigenvalues of the correlation matrix with the communalities of a one-factor minres solution on
    its diagonal (psych's ``fa(r, 1, SMC = FALSE)$values``, fa.parallel's factor eigenvalues)."""
    lam = minres_one(r, start_communality=1.0)
    red = np.array(r, dtype=float, copy=True)
    np.fill_diagonal(red, (lam**2).sum(axis=1))
    return np.sort(np.linalg.eigvalsh(red))[::-1]


def parallel_analysis(r: np.ndarray, n: int, n_iter: int = 20, seed: int = 1, quantile: float = 0.95) -> tuple[pd.DataFrame, int, int]:
    """Scree data (observed and simulated eigenvalues) and the suggested numbers of factors and components.

    A factor (component) is retained while its observed eigenvalue exceeds the ``quantile`` of the
    eigenvalues of ``n_iter`` normal data sets of the same size, as psych::fa.parallel's default.
    """
    rng = np.random.default_rng(seed)
    p = len(r)
    sim_pc, sim_fa = np.empty((n_iter, p)), np.empty((n_iter, p))
    for i in range(n_iter):
        s = np.corrcoef(rng.standard_normal((n, p)), rowvar=False)
        sim_pc[i] = np.sort(np.linalg.eigvalsh(s))[::-1]
        sim_fa[i] = reduced_eigenvalues(s)
    obs_pc = np.sort(np.linalg.eigvalsh(r))[::-1]
    obs_fa = reduced_eigenvalues(r)
    q_pc, q_fa = np.quantile(sim_pc, quantile, axis=0), np.quantile(sim_fa, quantile, axis=0)

    def leading(obs, ref):
        below = np.nonzero(~(obs > ref))[0]
        return int(below[0]) if len(below) else p

    scree = pd.DataFrame({
        "number": np.arange(1, p + 1), "pc_observed": obs_pc, "pc_simulated": sim_pc.mean(axis=0),
        "pc_simulated_q": q_pc, "fa_observed": obs_fa, "fa_simulated": sim_fa.mean(axis=0), "fa_simulated_q": q_fa,
    })
    return scree, leading(obs_fa, q_fa), leading(obs_pc, q_pc)
