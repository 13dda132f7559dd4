"""The population model of an instrument, compiled for drawing: latent factors and item responses.

Latent factors follow the structural model ``eta = B eta + zeta`` at two levels: a
community part and a respondent part, ``zeta = zeta_between[community] + zeta_within``.
The between-level disturbances are chosen so that every construct's share of variance
between communities is its declared ICC, and the two levels add up to the single-level
population (every latent variance 1, the declared paths and correlations), so that a
single-level model fitted to the data estimates exactly the instrument's values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govstats.instrument.population import propagate


def _sqrt_psd(m: np.ndarray) -> np.ndarray:
    """Symmetric square root of a positive semi-definite matrix (allows zero ICCs)."""
    w, v = np.linalg.eigh(m)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


@dataclass(frozen=True)
class LatentModel:
    names: tuple[str, ...]      # constructs in topological order
    total_cov: np.ndarray       # population covariance (= correlation) of eta
    reduced_form: np.ndarray    # A = (I - B)^-1, eta = zeta @ A.T
    sqrt_between: np.ndarray    # zeta_between = z @ sqrt_between
    sqrt_within: np.ndarray
    icc: np.ndarray

    @classmethod
    def from_instrument(cls, instrument) -> "LatentModel":
        ids = [c.id for c in instrument.constructs]
        order, total, explained = propagate(ids, instrument.model.paths, instrument.model.correlation)
        k = len(order)
        index = {n: i for i, n in enumerate(order)}
        b = np.zeros((k, k))
        for p in instrument.model.paths:
            b[index[p.outcome], index[p.predictor]] = p.coefficient
        a = np.linalg.inv(np.eye(k) - b)
        outcomes = set(instrument.model.outcomes)
        exo = [index[n] for n in order if n not in outcomes]
        icc = np.array([instrument.construct(n).icc for n in order])

        psi = np.zeros((k, k))
        psi[np.ix_(exo, exo)] = total[np.ix_(exo, exo)]
        for n in outcomes:
            psi[index[n], index[n]] = 1.0 - explained[n]

        # Between level: exogenous factors keep their correlations; an outcome's own
        # disturbance makes up whatever between variance its predictors do not bring.
        root = np.sqrt(icc)
        psi_b = np.zeros((k, k))
        psi_b[np.ix_(exo, exo)] = psi[np.ix_(exo, exo)] * np.outer(root[exo], root[exo])
        for n in order:
            j = index[n]
            if n in outcomes:
                from_predictors = (a @ psi_b @ a.T)[j, j]
                own = icc[j] - from_predictors
                if own < 0:
                    raise ValueError(
                        f"Construct '{n}' of instrument '{instrument.id}' has ICC {icc[j]:g}, but its "
                        f"predictors alone bring {from_predictors:.4f} of between-community variance; "
                        "raise its icc or lower its predictors' ICCs."
                    )
                psi_b[j, j] = own
        psi_w = psi - psi_b
        if np.linalg.eigvalsh(psi_w).min() < -1e-10:
            raise ValueError(
                f"The ICCs of instrument '{instrument.id}' differ too much between correlated constructs "
                "for a common within-community structure; make them more alike."
            )
        return cls(tuple(order), total, a, _sqrt_psd(psi_b), _sqrt_psd(psi_w), icc)

    def draw_between(self, rng: np.random.Generator, n_groups: int) -> np.ndarray:
        """Community disturbances, one row per community."""
        return rng.standard_normal((n_groups, len(self.names))) @ self.sqrt_between

    def draw(self, rng: np.random.Generator, between: np.ndarray, community: np.ndarray) -> np.ndarray:
        """Latent factor values (rows: respondents, columns: ``names``)."""
        zeta = rng.standard_normal((len(community), len(self.names))) @ self.sqrt_within
        zeta += between[community]
        return zeta @ self.reduced_form.T
