"""The model of ordered items: latent responses y* behind the codes, cut at thresholds.

Two compiled versions of the user's model share one parameter vector (the structural
parameters, then the thresholds, as lavaan counts them):

- ``engine`` fits: the items' residual variances are not parameters. In lavaan's *delta*
  parameterization the latent responses have unit variance, so a residual variance is
  1 - R^2 and only the implied correlations enter the fit (the engine fixes them at 0 and reads
  the off-diagonal). In the *theta* parameterization the residual variances are fixed at 1 and
  the implied correlations and standardized thresholds divide by sqrt(diag Sigma*).
- ``display`` reports: the user's model with residual variances and (zero) intercepts as rows,
  so that the standardized solution, R^2 and effects reuse the continuous machinery.

The moments fitted are lavaan's ``wls.obs`` order: thresholds item by item, then the
correlations below the diagonal column by column (numpy's ``triu_indices``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.sem.engine import CompiledModel
from govstats.sem.partable import _assign_free, build_partable
from govstats.sem.syntax import parse_model

PARAMETERIZATIONS = ("delta", "theta")


class OrdinalModel:
    """A model whose observed variables are all ordered items.

    Parameters
    ----------
    syntax : str
        lavaan-style model syntax.
    threshold_counts : dict
        Item -> number of thresholds (observed categories - 1).
    parameterization : {"delta", "theta"}
    std_lv : bool
    """

    def __init__(self, syntax: str, threshold_counts: dict[str, int], parameterization: str = "delta",
                 std_lv: bool = False):
        self.parameterization = parameterization
        formulas = parse_model(syntax)
        full_table, names = build_partable(formulas, meanstructure=True, std_lv=std_lv)
        self.items = list(names.ov)
        table = full_table.copy()
        item_set = set(self.items)
        residual = (table.op == "~~") & (table.lhs == table.rhs) & table.lhs.isin(item_set)
        user_residual = table[residual & (table.user == 1) & (table.free > 0)]
        if len(user_residual):
            raise ValueError(f"The residual variances of ordered items are not free parameters (delta and theta "
                             f"parameterizations fix them); remove '{user_residual.lhs.iloc[0]} ~~ "
                             f"{user_residual.lhs.iloc[0]}' from the model.")
        table.loc[residual, "free"] = 0
        self.fixed_residual = 0.0 if parameterization == "delta" else 1.0
        table.loc[residual, "ustart"] = self.fixed_residual
        # lavaan: intercepts of ordered items are fixed at 0 (the thresholds take their place)
        intercept = (table.op == "~1") & table.lhs.isin(item_set)
        table.loc[intercept, ["free", "ustart"]] = [0, 0.0]
        shown = full_table.copy()
        shown.loc[intercept, ["free", "ustart"]] = [0, 0.0]
        self.display = CompiledModel.from_table(syntax, _assign_free(shown), names, formulas=formulas)
        self.engine = CompiledModel.from_table(syntax, _assign_free(table), names, formulas=formulas)
        self.n_struct = self.engine.n_free

        self.threshold_items = [(item, k) for item in self.items for k in range(threshold_counts[item])]
        self.n_thresholds = len(self.threshold_items)
        self.n_free = self.n_struct + self.n_thresholds
        self.th_item = np.array([self.items.index(item) for item, _ in self.threshold_items], dtype=int)
        p = len(self.items)
        self.rows, self.cols = np.triu_indices(p, 1)
        self._display_map()

    # -- moments ----------------------------------------------------------------------------
    def moments(self, theta: np.ndarray):
        """(model moments in wls.obs order, Sigma* of the latent responses, structural pieces)."""
        sigma, _, B, C, M = self.engine.models[0].implied(theta[:self.n_struct])
        tau = theta[self.n_struct:]
        if self.parameterization == "delta":
            return np.concatenate([tau, sigma[self.rows, self.cols]]), sigma, (B, C, M)
        d = 1.0 / np.sqrt(np.diag(sigma))
        corr = sigma * np.outer(d, d)
        return np.concatenate([tau * d[self.th_item], corr[self.rows, self.cols]]), sigma, (B, C, M)

    def jacobian(self, theta: np.ndarray, sigma=None, pieces=None) -> np.ndarray:
        """d moments / d theta (moments x parameters), analytic."""
        if sigma is None:
            _, sigma, pieces = self.moments(theta)
        dS, _ = self.engine.models[0].jacobian(theta[:self.n_struct], *pieces)
        k_th, q_s = self.n_thresholds, self.n_struct
        out = np.zeros((k_th + len(self.rows), self.n_free))
        if self.parameterization == "delta":
            out[:k_th, q_s:] = np.eye(k_th)
            out[k_th:, :q_s] = dS[self.rows, self.cols, :]
            return out
        var = np.diag(sigma)
        d = 1.0 / np.sqrt(var)
        dvar = dS[np.arange(len(var)), np.arange(len(var)), :] / var[:, None]  # d log var
        corr = sigma[self.rows, self.cols] * d[self.rows] * d[self.cols]
        out[k_th:, :q_s] = (dS[self.rows, self.cols, :] * (d[self.rows] * d[self.cols])[:, None]
                            - corr[:, None] * (dvar[self.rows] + dvar[self.cols]) / 2)
        tau = theta[q_s:]
        j = self.th_item
        out[:k_th, :q_s] = -(tau * d[j])[:, None] * dvar[j] / 2
        out[np.arange(k_th), q_s + np.arange(k_th)] = d[j]
        return out

    # -- reporting --------------------------------------------------------------------------
    def _display_map(self) -> None:
        """For every free display parameter: its engine index, or the item whose residual it is."""
        engine_free = {(r.lhs, r.op, r.rhs): int(r.free) for r in self.engine.table.itertuples() if r.free > 0}
        table = self.display.table
        free = table[table.free > 0].drop_duplicates("free").sort_values("free")
        self.from_engine = np.full(self.display.n_free, -1)
        self.from_residual = np.full(self.display.n_free, -1)
        for r in free.itertuples():
            k = int(r.free) - 1
            if (r.lhs, r.op, r.rhs) in engine_free:
                self.from_engine[k] = engine_free[(r.lhs, r.op, r.rhs)] - 1
            elif r.op == "~~" and r.lhs == r.rhs and r.lhs in self.items:
                self.from_residual[k] = self.items.index(r.lhs)
            else:
                raise RuntimeError(f"display parameter {r.lhs}{r.op}{r.rhs} has no source")  # pragma: no cover

    def _item_variances(self, thetas: np.ndarray) -> np.ndarray:
        """diag Sigma* of the engine for many parameter vectors (k x items), in one batch."""
        return self.engine.models[0].variance_batch(thetas[:, :self.n_struct])[:, :len(self.items)]

    def residual_variances(self, theta: np.ndarray) -> np.ndarray:
        """The items' residual variances as lavaan reports them: 1 - R^2 (delta) or 1 (theta)."""
        return self.residual_variances_batch(theta[None, :])[0]

    def residual_variances_batch(self, thetas: np.ndarray) -> np.ndarray:
        if self.parameterization == "theta":
            return np.ones((len(thetas), len(self.items)))
        return 1.0 - (self._item_variances(thetas) - self.fixed_residual)

    def display_theta(self, theta: np.ndarray) -> np.ndarray:
        """The display model's parameter vector for a (structural + threshold) vector."""
        return self.display_theta_batch(theta[None, :])[0]

    def display_theta_batch(self, thetas: np.ndarray) -> np.ndarray:
        out = np.where(self.from_engine >= 0, thetas[:, np.maximum(self.from_engine, 0)], 0.0)
        has_residual = self.from_residual >= 0
        if has_residual.any():
            out[:, has_residual] = self.residual_variances_batch(thetas)[:, self.from_residual[has_residual]]
        return out

    def latent_response_sd(self, theta: np.ndarray) -> np.ndarray:
        """sd of each item's latent response: 1 (delta) or sqrt(diag Sigma*) (theta)."""
        return self.latent_response_sd_batch(theta[None, :])[0]

    def latent_response_sd_batch(self, thetas: np.ndarray) -> np.ndarray:
        if self.parameterization == "delta":
            return np.ones((len(thetas), len(self.items)))
        return np.sqrt(self._item_variances(thetas))

    def theta_start_from_delta(self, theta_delta: np.ndarray, residual: np.ndarray) -> np.ndarray:
        """Theta-parameterization start from a delta solution: rescale what touches an item's
        latent response by its residual sd, so that the residual variances become 1."""
        sd = np.sqrt(np.clip(residual, 1e-4, None))
        index = {v: i for i, v in enumerate(self.items)}
        out = theta_delta.copy()
        for r in self.engine.table[self.engine.table.free > 0].itertuples():
            k = int(r.free) - 1
            if r.op == "=~" and r.rhs in index:
                out[k] = theta_delta[k] / sd[index[r.rhs]]
            elif r.op == "~" and r.lhs in index:
                out[k] = theta_delta[k] / sd[index[r.lhs]]
            elif r.op == "~~" and r.lhs in index and r.rhs in index:
                out[k] = theta_delta[k] / (sd[index[r.lhs]] * sd[index[r.rhs]])
        out[self.n_struct:] = theta_delta[self.n_struct:] / sd[self.th_item]
        return out

    def threshold_table(self) -> pd.DataFrame:
        """Rows ``item | t<k>`` in lavaan's order."""
        return pd.DataFrame({"lhs": [item for item, _ in self.threshold_items], "op": "|",
                             "rhs": [f"t{k + 1}" for _, k in self.threshold_items]})
