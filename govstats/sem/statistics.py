"""The data side of estimation: per group, what an estimator needs from the data.

Everything downstream (objectives, robust tests, fit measures, start values, baseline model)
reads the data only through these objects, so that FIML (missing-data patterns and an EM h1)
and two-level models (cluster statistics) can be added as further kinds of block.

- :class:`Moments`: complete-data moments (ML, MLR, cluster-robust).
- :class:`OrdinalStatistics`: stage-1 statistics of ordered items (thresholds, polychorics,
  Gamma) for WLSMV/ULSMV, with the DWLS or ULS weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Moments:
    """Sample moments of one group (complete cases).

    ``cov`` is divided by N, as lavaan's ML; ``raw`` (n x p) gives casewise scores for the
    sandwich; ``cluster`` holds the cluster id of each row (or None).
    """

    n: int
    mean: np.ndarray
    cov: np.ndarray
    raw: np.ndarray | None
    logdet: float
    cluster: np.ndarray | None = None

    kind = "moments"

    @classmethod
    def from_rows(cls, x: np.ndarray, cluster: np.ndarray | None = None, label=None) -> "Moments":
        n = x.shape[0]
        mean = x.mean(axis=0)
        centered = x - mean
        cov = centered.T @ centered / n
        sign, logdet = np.linalg.slogdet(cov)
        if sign <= 0:
            where = "" if label is None else f" in group {label!r}"
            raise ValueError(f"The sample covariance matrix of the model's variables{where} is not positive "
                             "definite (a variable is constant or a linear combination of others); check the data.")
        return cls(n=n, mean=mean, cov=cov, raw=x, logdet=float(logdet), cluster=cluster)



@dataclass
class OrdinalStatistics:
    """Stage-1 statistics of one group, in lavaan's ``wls.obs`` order, with the weights.

    ``gamma`` is N times the asymptotic covariance of ``values``; ``weights`` the diagonal
    weight matrix (DWLS: 1 / diag(Gamma), ULS: ones); ``x_moments`` the exogenous covariates'
    sample means and covariances (N - 1 divisor, lavaan's ``cov.x``) over the model's observed
    variables (only the covariates' entries are set), or None without covariates.
    """

    stage1: object
    n: int
    values: np.ndarray
    gamma: np.ndarray
    weights: np.ndarray
    x_moments: tuple[np.ndarray, np.ndarray] | None = None

    kind = "ordinal"

    @property
    def names(self) -> list[str]:
        return self.stage1.names

    @property
    def weight_n(self) -> float:
        """The group's weight in the fit: N - 1 (lavaan's weights for categorical data carry N / (N - 1))."""
        return self.n - 1.0


@dataclass
class Statistics:
    """What every group contributes to the fit, in group order."""

    blocks: list
    group_labels: list
    n_dropped: int = 0
    messages: list = field(default_factory=list)

    @property
    def ntotal(self) -> int:
        return int(sum(b.n for b in self.blocks))

    @property
    def ngroups(self) -> int:
        return len(self.blocks)


def dwls_weights(gamma: np.ndarray, estimator: str) -> np.ndarray:
    """Diagonal weights: WLSMV (DWLS) inverts Gamma's diagonal, ULSMV uses ones."""
    if estimator == "ULSMV":
        return np.ones(len(gamma))
    return 1.0 / np.diag(gamma)


def covariate_moments(frame: pd.DataFrame, covariates: list[str], observed: list[str]):
    """fixed.x for ordered fits: the covariates' sample means and covariances (lavaan's cov.x,
    divided by N - 1) placed over the model's observed variables."""
    index = [observed.index(v) for v in covariates]
    mean, cov = np.zeros(len(observed)), np.zeros((len(observed), len(observed)))
    block = frame[covariates].to_numpy()
    mean[index] = block.mean(axis=0)
    cov[np.ix_(index, index)] = np.atleast_2d(np.cov(block, rowvar=False))
    return mean, cov
