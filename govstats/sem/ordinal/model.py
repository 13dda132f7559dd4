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

The moments fitted are lavaan's ``wls.obs``, in its order (read from the statistics' names by
:class:`StatLayout`): thresholds item by item (and minus the means of continuous variables),
slopes on exogenous covariates, variances of continuous variables, then the correlations (or
covariances) below the diagonal column by column (numpy's ``triu_indices``). With covariates
every moment is conditional on them, as lavaan's ``conditional.x``: Pi = Sigma_yx Sigma_xx^-1,
Sigma_y|x = Sigma_yy - Pi Sigma_xy, with the covariates' moments fixed at the sample's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.sem.engine import CompiledModel
from govstats.sem.ml import GroupData
from govstats.sem.partable import _assign_free, build_partable
from govstats.sem.syntax import parse_model

PARAMETERIZATIONS = ("delta", "theta")


class StatLayout:
    """Where each stage-1 statistic sits in the model, read from lavaan's names: ``a|t2`` a
    threshold, ``a~1`` minus a continuous variable's mean (or intercept, given covariates),
    ``a~x`` a slope on an exogenous covariate, ``a~~a`` a (residual) variance, ``a~~b`` a
    (residual) correlation, or covariance when continuous variables are involved."""

    def __init__(self, names: list[str], items: list[str]):
        index = {v: i for i, v in enumerate(items)}
        th, th_item, mean, mean_item, var, var_item, pair, pair_a, pair_b = ([] for _ in range(9))
        slope, slope_item, slope_x = [], [], []
        for position, name in enumerate(names):
            if "|" in name:
                th.append(position)
                th_item.append(index[name.split("|")[0]])
            elif name.endswith("~1"):
                mean.append(position)
                mean_item.append(index[name[:-2]])
            elif "~~" not in name:
                y, x = name.split("~")
                slope.append(position)
                slope_item.append(index[y])
                slope_x.append(index[x])
            else:
                a, b = name.split("~~")
                if a == b:
                    var.append(position)
                    var_item.append(index[a])
                else:
                    pair.append(position)
                    pair_a.append(index[a])
                    pair_b.append(index[b])
        as_int = lambda values: np.array(values, dtype=int)
        self.size = len(names)
        self.th, self.th_item = as_int(th), as_int(th_item)
        self.mean, self.mean_item = as_int(mean), as_int(mean_item)
        self.var, self.var_item = as_int(var), as_int(var_item)
        self.pair, self.pair_a, self.pair_b = as_int(pair), as_int(pair_a), as_int(pair_b)
        self.slope, self.slope_item, self.slope_x = as_int(slope), as_int(slope_item), as_int(slope_x)
        self.threshold_names = [names[k] for k in th]


class OrdinalModel:
    """A model of ordered items, possibly beside continuous variables.

    Parameters
    ----------
    syntax : str
        lavaan-style model syntax.
    stat_names : list of str
        Names of the stage-1 statistics in lavaan's order (``Stage1.names``).
    numeric : collection of str
        The model's continuous observed variables (all others are ordered); those that are
        exogenous covariates are conditioned on.
    parameterization : {"delta", "theta"}
    std_lv : bool
    x_moments : (mean, cov), optional
        The covariates' sample means and covariances, as vectors/matrices over the model's
        observed variables (only the covariates' entries are read). Required with covariates.
    """

    def __init__(self, syntax: str, stat_names: list[str], numeric=(), parameterization: str = "delta",
                 std_lv: bool = False, x_moments: tuple[np.ndarray, np.ndarray] | None = None):
        self.parameterization = parameterization
        formulas = parse_model(syntax)
        full_table, names = build_partable(formulas, meanstructure=True, std_lv=std_lv)
        self.items = list(names.ov)
        # exogenous covariates (fixed.x): the statistics are conditional on them (lavaan's conditional.x)
        self.covariates = [v for v in names.ov_x if v in set(numeric)]
        self.x_pos = np.array([self.items.index(v) for v in self.covariates], dtype=int)
        self.ordered = [v for v in self.items if v not in set(numeric)]
        self.is_ordered = np.array([v in set(self.ordered) for v in self.items])
        table = full_table.copy()
        ordered = set(self.ordered)
        residual = (table.op == "~~") & (table.lhs == table.rhs) & table.lhs.isin(ordered)
        user_residual = table[residual & (table.user == 1) & (table.free > 0)]
        if len(user_residual):
            raise ValueError(f"The residual variances of ordered items are not free parameters (delta and theta "
                             f"parameterizations fix them); remove '{user_residual.lhs.iloc[0]} ~~ "
                             f"{user_residual.lhs.iloc[0]}' from the model.")
        table.loc[residual, "free"] = 0
        self.fixed_residual = 0.0 if parameterization == "delta" else 1.0
        table.loc[residual, "ustart"] = self.fixed_residual
        # lavaan: intercepts of ordered items are fixed at 0 (the thresholds take their place)
        intercept = (table.op == "~1") & table.lhs.isin(ordered)
        table.loc[intercept, ["free", "ustart"]] = [0, 0.0]
        shown = full_table.copy()
        shown.loc[intercept, ["free", "ustart"]] = [0, 0.0]
        self.display = CompiledModel.from_table(syntax, _assign_free(shown), names, formulas=formulas)
        self.engine = CompiledModel.from_table(syntax, _assign_free(table), names, formulas=formulas)
        if len(self.covariates):
            mean, cov = x_moments
            moments = GroupData(n=0, mean=mean, cov=cov, raw=None, logdet=0.0)
            self.engine.set_exogenous([moments])
            self.display.set_exogenous([moments])
        self.n_struct = self.engine.n_free

        self.layout = StatLayout(stat_names, self.items)
        self.threshold_items = [(name.split("|")[0], int(name.split("|t")[1]) - 1)
                                for name in self.layout.threshold_names]
        self.n_thresholds = len(self.threshold_items)
        self.n_free = self.n_struct + self.n_thresholds
        self.th_item = self.layout.th_item
        self._display_map()

    # -- moments ----------------------------------------------------------------------------
    def _scale(self, sigma: np.ndarray) -> np.ndarray:
        """1 / sd of each latent response in the theta parameterization; 1 otherwise."""
        if self.parameterization == "delta":
            return np.ones(len(self.items))
        return np.where(self.is_ordered, 1.0 / np.sqrt(np.diag(sigma)), 1.0)

    def _conditional(self, sigma: np.ndarray, mu: np.ndarray):
        """(Sigma of y given x, slopes Pi (all variables x covariates), intercepts): with no
        covariates Sigma and mu themselves. Pi = Sigma_yx Sigma_xx^-1, Sigma_y|x = Sigma_yy -
        Pi Sigma_xy, intercepts mu_y - Pi mu_x (rows of the covariates are left as they are)."""
        if not len(self.covariates):
            return sigma, None, mu
        x, inv = self.x_pos, self.covariate_moments[0]
        pi = sigma[:, x] @ inv
        residual = sigma - pi @ sigma[x, :]
        return residual, pi, mu - pi @ mu[x]

    @property
    def covariate_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(Sigma_xx^-1, mu_x): the covariates' moments are fixed at their sample values (fixed.x),
        so they are read once from the model with every free parameter 0 (no paths)."""
        if getattr(self, "_x_cache", None) is None:
            sigma, mu = self.engine.models[0].implied(np.zeros(self.n_struct))[:2]
            self._x_cache = (np.linalg.inv(sigma[np.ix_(self.x_pos, self.x_pos)]), mu[self.x_pos])
        return self._x_cache

    def moments(self, theta: np.ndarray):
        """(model moments in wls.obs order, Sigma* of the latent responses given the covariates,
        structural pieces)."""
        full, mu, B, C, M = self.engine.models[0].implied(theta[:self.n_struct])
        sigma, pi, intercept = self._conditional(full, mu)
        lay, d = self.layout, self._scale(sigma)
        m = np.empty(lay.size)
        m[lay.th] = theta[self.n_struct:] * d[lay.th_item]
        m[lay.mean] = -intercept[lay.mean_item]
        if pi is not None:
            m[lay.slope] = pi[lay.slope_item, np.searchsorted(self.x_pos, lay.slope_x)] * d[lay.slope_item]
        m[lay.var] = sigma[lay.var_item, lay.var_item]
        m[lay.pair] = sigma[lay.pair_a, lay.pair_b] * d[lay.pair_a] * d[lay.pair_b]
        return m, sigma, (B, C, M, full, pi)

    def jacobian(self, theta: np.ndarray, sigma=None, pieces=None) -> np.ndarray:
        """d moments / d theta (moments x parameters), analytic."""
        if sigma is None:
            _, sigma, pieces = self.moments(theta)
        B, C, M, full, pi = pieces
        dS, dmu = self.engine.models[0].jacobian(theta[:self.n_struct], B, C, M)
        if pi is not None:
            # d Pi = d Sigma_.x Sigma_xx^-1;  d Sigma_y|x = d Sigma - d Sigma_.x Pi' - Pi d Sigma_x.
            x = self.x_pos
            dpi = np.einsum("ikq,kl->ilq", dS[:, x, :], self.covariate_moments[0])
            cross = np.einsum("ikq,jk->ijq", dS[:, x, :], pi)
            dS = dS - cross - cross.transpose(1, 0, 2)
            dmu = dmu - np.einsum("ikq,k->iq", dpi, self.covariate_moments[1])
        lay, q_s, k_th = self.layout, self.n_struct, self.n_thresholds
        d = self._scale(sigma)
        out = np.zeros((lay.size, self.n_free))
        diagonal = np.arange(len(self.items))
        # d log var of each latent response: only where theta rescales it
        rescaled = self.is_ordered & (self.parameterization == "theta")
        dlog = np.where(rescaled[:, None], dS[diagonal, diagonal, :] / np.where(rescaled, np.diag(sigma), 1.0)[:, None],
                        0.0)
        a, b = lay.pair_a, lay.pair_b
        pair = sigma[a, b] * d[a] * d[b]
        out[lay.pair, :q_s] = dS[a, b, :] * (d[a] * d[b])[:, None] - pair[:, None] * (dlog[a] + dlog[b]) / 2
        out[lay.mean, :q_s] = -dmu[lay.mean_item, :]
        out[lay.var, :q_s] = dS[lay.var_item, lay.var_item, :]
        if pi is not None:
            j, k = lay.slope_item, np.searchsorted(self.x_pos, lay.slope_x)
            out[lay.slope, :q_s] = (dpi[j, k, :] * d[j][:, None] - (pi[j, k] * d[j])[:, None] * dlog[j] / 2)
        j = lay.th_item
        tau = theta[q_s:]
        out[lay.th, :q_s] = -(tau * d[j])[:, None] * dlog[j] / 2
        out[lay.th, q_s + np.arange(k_th)] = d[j]
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
            elif r.op == "~~" and r.lhs == r.rhs and r.lhs in self.ordered:
                self.from_residual[k] = self.items.index(r.lhs)
            else:
                raise RuntimeError(f"display parameter {r.lhs}{r.op}{r.rhs} has no source")  # pragma: no cover

    def _item_variances(self, thetas: np.ndarray) -> np.ndarray:
        """diag Sigma* (given the covariates, if any) for many parameter vectors (k x items)."""
        if len(self.covariates):
            model = self.engine.models[0]
            return np.vstack([np.diag(self._conditional(*model.implied(t[:self.n_struct])[:2])[0])
                              for t in thetas])
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
        """sd of each item's latent response (given the covariates): 1 (delta) or sqrt(diag Sigma*)
        (theta); lavaan's scale factors ``~*~`` are its inverse."""
        if self.parameterization == "delta":
            return np.ones(len(self.items))
        return np.sqrt(self._item_variances(theta[None, :])[0])

    def theta_start_from_delta(self, theta_delta: np.ndarray, residual: np.ndarray) -> np.ndarray:
        """Theta-parameterization start from a delta solution: rescale what touches an item's
        latent response by its residual sd, so that the residual variances become 1."""
        sd = np.sqrt(np.clip(residual, 1e-4, None))
        index = {v: i for i, v in enumerate(self.items) if v in self.ordered}
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
