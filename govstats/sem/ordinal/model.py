"""One group's model of ordered items: latent responses y* behind the codes, cut at thresholds.

The parameter table holds everything (thresholds ``item | tk``, scale factors ``item ~*~ item``,
the items' residual variances); one parameter vector serves every group. Two RAM versions of
the group's rows are compiled:

- ``ram`` fits. In lavaan's *delta* parameterization the latent responses have variance
  1 / delta^2 (delta the scale factor, fixed at 1 unless freed by equal thresholds across
  groups), so an item's residual variance is derived (1 / delta^2 - explained variance) and only
  the implied covariances off the diagonal, times delta_i delta_j, enter the fit (the RAM fixes the
  derived residuals at 0). In the *theta* parameterization the residual variances are
  parameters (fixed at 1, or free) and the moments divide by sqrt(diag Sigma*).
- ``display`` reports: the derived residual variances are extra entries of an extended
  parameter vector (theta, then derived values), so that the standardized solution, R^2 and
  effects reuse the continuous machinery.

The moments fitted are lavaan's ``wls.obs``, in its order (read from the statistics' names by
:class:`StatLayout`): thresholds item by item (and minus the means of continuous variables),
slopes on exogenous covariates, variances of continuous variables, then the correlations (or
covariances) below the diagonal column by column (numpy's ``triu_indices``). With covariates
every moment is conditional on them, as lavaan's ``conditional.x``: Pi = Sigma_yx Sigma_xx^-1,
Sigma_y|x = Sigma_yy - Pi Sigma_xy, with the covariates' moments fixed at the sample's.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from govstats.sem.ram import RAMModel

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


class OrdinalBlock:
    """A group's model of ordered items (and continuous variables beside them).

    Parameters
    ----------
    table : DataFrame
        The full parameter table (every group).
    derived_offset, n_extended : int, optional
        Where this group's derived residual variances start in the extended parameter vector
        (theta, then every group's derived values), and its length.
    names : VariableNames
    group : int
    n_free : int
    ordered : collection of str
        The ordered items (the model's other observed variables are continuous; those that are
        exogenous covariates are conditioned on).
    stat_names : list of str
        Names of the group's stage-1 statistics in lavaan's order (``Stage1.names``).
    parameterization : {"delta", "theta"}
    """

    def __init__(self, table: pd.DataFrame, names, group: int, n_free: int, ordered, stat_names: list[str],
                 parameterization: str = "delta", derived_offset: int | None = None, n_extended: int | None = None):
        self.parameterization = parameterization
        self.group = group
        self.items = list(names.ov)
        ordered = set(ordered)
        self.ordered = [v for v in self.items if v in ordered]
        self.is_ordered = np.array([v in ordered for v in self.items])
        self.covariates = [v for v in names.ov_x if v not in ordered]
        self.x_pos = np.array([self.items.index(v) for v in self.covariates], dtype=int)
        self.n_free = n_free
        rows = table[table.group == group]
        residual = (rows.op == "~~") & (rows.lhs == rows.rhs) & rows.lhs.isin(ordered)
        user_residual = rows[residual & (rows.user == 1) & (rows.free > 0)]
        if len(user_residual):
            v = user_residual.lhs.iloc[0]
            raise ValueError(f"The residual variances of ordered items are not free parameters (delta and theta "
                             f"parameterizations fix them); remove '{v} ~~ {v}' from the model.")
        # delta: residual variances fixed by the parameterization are derived, not parameters
        self.derived_items = (list(rows.loc[residual & (rows.free == 0), "lhs"])
                              if parameterization == "delta" else [])
        derived = residual & (rows.free == 0) & (parameterization == "delta")
        fitted = rows.copy()
        fitted.loc[derived, "ustart"] = 0.0
        self.ram = RAMModel(fitted, names, group, n_free)
        shown = rows.copy()
        position = {v: k for k, v in enumerate(self.derived_items)}
        offset = n_free if derived_offset is None else derived_offset
        self.derived_offset = offset
        if derived.any():
            shown.loc[derived, "free"] = [offset + 1 + position[v] for v in shown.loc[derived, "lhs"]]
        self.display = RAMModel(shown, names, group, n_extended or n_free + len(self.derived_items))
        self.derived_pos = np.array([self.items.index(v) for v in self.derived_items], dtype=int)

        index = {v: i for i, v in enumerate(self.items)}
        scale = rows[rows.op == "~*~"].set_index("lhs")
        self.scale_param = np.full(len(self.items), -1)
        self.scale_fixed = np.ones(len(self.items))
        for v in self.ordered:
            if v in scale.index:
                self.scale_param[index[v]] = int(scale.at[v, "free"]) - 1
                self.scale_fixed[index[v]] = 1.0 if np.isnan(scale.at[v, "ustart"]) else scale.at[v, "ustart"]
        self.layout = StatLayout(stat_names, self.items)
        th = rows[rows.op == "|"]
        lookup = {f"{r.lhs}|{r.rhs}": (int(r.free) - 1, r.ustart) for r in th.itertuples()}
        missing = [n for n in self.layout.threshold_names if n not in lookup]
        extra = sorted(set(lookup) - set(self.layout.threshold_names))
        if missing or extra:
            raise ValueError(f"The thresholds of group {group} do not match the categories observed: "
                             f"{'missing ' + ', '.join(missing) if missing else ''}"
                             f"{' extra ' + ', '.join(extra) if extra else ''} (every group must use the same "
                             "categories of each ordered item).")
        self.th_param = np.array([lookup[n][0] for n in self.layout.threshold_names], dtype=int)
        self.th_fixed = np.array([0.0 if np.isnan(lookup[n][1]) else lookup[n][1]
                                  for n in self.layout.threshold_names])
        self.th_item = self.layout.th_item
        self.x_inverse = None

    def bind(self, x_moments) -> "OrdinalBlock":
        """A copy whose covariates' moments are fixed at the sample's (fixed.x); self is unchanged."""
        if not len(self.covariates):
            return self
        out = copy.copy(self)
        mean, cov = x_moments
        out.ram = self.ram.with_exogenous(mean, cov)
        out.display = self.display.with_exogenous(mean, cov)
        sigma, mu = out.ram.implied(np.zeros(self.n_free))[:2]
        out.x_inverse = (np.linalg.inv(sigma[np.ix_(self.x_pos, self.x_pos)]), mu[self.x_pos])
        return out

    # -- moments ----------------------------------------------------------------------------
    def _vector(self, theta, param, fixed):
        return np.where(param >= 0, theta[np.maximum(param, 0)], fixed)

    def scale_factors(self, theta: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """delta: the scale factors; theta: 1 / sd of each latent response; 1 for continuous."""
        if self.parameterization == "delta":
            return self._vector(theta, self.scale_param, self.scale_fixed)
        with np.errstate(invalid="ignore", divide="ignore"):  # a line-search trial may leave the admissible region
            return np.where(self.is_ordered, 1.0 / np.sqrt(np.diag(sigma)), 1.0)

    def _conditional(self, sigma: np.ndarray, mu: np.ndarray):
        """(Sigma of y given x, slopes Pi (all variables x covariates), intercepts): with no
        covariates Sigma and mu themselves. Pi = Sigma_yx Sigma_xx^-1, Sigma_y|x = Sigma_yy -
        Pi Sigma_xy, intercepts mu_y - Pi mu_x."""
        if not len(self.covariates):
            return sigma, None, mu
        x, inv = self.x_pos, self.x_inverse[0]
        pi = sigma[:, x] @ inv
        residual = sigma - pi @ sigma[x, :]
        return residual, pi, mu - pi @ mu[x]

    def moments(self, theta: np.ndarray):
        """(model moments in wls.obs order, Sigma* given the covariates, pieces for the Jacobian)."""
        full, mu, B, C, M = self.ram.implied(theta)
        sigma, pi, intercept = self._conditional(full, mu)
        lay, d = self.layout, self.scale_factors(theta, sigma)
        tau = self._vector(theta, self.th_param, self.th_fixed)
        m = np.empty(lay.size)
        m[lay.th] = (tau - intercept[lay.th_item]) * d[lay.th_item]
        m[lay.mean] = -intercept[lay.mean_item]
        if pi is not None:
            m[lay.slope] = pi[lay.slope_item, np.searchsorted(self.x_pos, lay.slope_x)] * d[lay.slope_item]
        m[lay.var] = sigma[lay.var_item, lay.var_item]
        m[lay.pair] = sigma[lay.pair_a, lay.pair_b] * d[lay.pair_a] * d[lay.pair_b]
        return m, sigma, (B, C, M, full, pi, intercept, tau, d)

    def jacobian(self, theta: np.ndarray, sigma=None, pieces=None) -> np.ndarray:
        """d moments / d theta (moments x parameters), analytic."""
        if sigma is None:
            _, sigma, pieces = self.moments(theta)
        B, C, M, full, pi, intercept, tau, d = pieces
        dS, dmu = self.ram.jacobian(theta, B, C, M)
        if pi is not None:
            # d Pi = d Sigma_.x Sigma_xx^-1;  d Sigma_y|x = d Sigma - d Sigma_.x Pi' - Pi d Sigma_x.
            x = self.x_pos
            dpi = np.einsum("ikq,kl->ilq", dS[:, x, :], self.x_inverse[0])
            cross = np.einsum("ikq,jk->ijq", dS[:, x, :], pi)
            dS = dS - cross - cross.transpose(1, 0, 2)
            dmu = dmu - np.einsum("ikq,k->iq", dpi, self.x_inverse[1])
        lay = self.layout
        out = np.zeros((lay.size, self.n_free))
        diagonal = np.arange(len(self.items))
        # d log d of each item: theta rescales by 1/sd(y*), delta by its free scale factors
        if self.parameterization == "theta":
            rescaled = self.is_ordered
            dlog = np.where(rescaled[:, None], -0.5 * dS[diagonal, diagonal, :]
                            / np.where(rescaled, np.diag(sigma), 1.0)[:, None], 0.0)
        else:
            dlog = np.zeros((len(self.items), self.n_free))
            free = self.scale_param >= 0
            dlog[np.flatnonzero(free), self.scale_param[free]] = 1.0 / d[free]
        a, b = lay.pair_a, lay.pair_b
        pair = sigma[a, b] * d[a] * d[b]
        out[lay.pair] = dS[a, b, :] * (d[a] * d[b])[:, None] + pair[:, None] * (dlog[a] + dlog[b])
        out[lay.mean] = -dmu[lay.mean_item, :]
        out[lay.var] = dS[lay.var_item, lay.var_item, :]
        if pi is not None:
            j, k = lay.slope_item, np.searchsorted(self.x_pos, lay.slope_x)
            out[lay.slope] = dpi[j, k, :] * d[j][:, None] + (pi[j, k] * d[j])[:, None] * dlog[j]
        j = lay.th_item
        shifted = tau - intercept[j]
        out[lay.th] = -dmu[j, :] * d[j][:, None] + (shifted * d[j])[:, None] * dlog[j]
        free = self.th_param >= 0
        out[lay.th[free], self.th_param[free]] += d[j][free]
        return out

    # -- reporting --------------------------------------------------------------------------
    def derived_batch(self, thetas: np.ndarray) -> np.ndarray:
        """The derived residual variances (delta: 1 / delta^2 minus the explained variance of y*
        given the covariates) for many parameter vectors (k x derived items)."""
        if not self.derived_items:
            return np.zeros((len(thetas), 0))
        pos = self.derived_pos
        if len(self.covariates):
            explained = np.vstack([np.diag(self._conditional(*self.ram.implied(t)[:2])[0])[pos] for t in thetas])
        else:
            explained = self.ram.variance_batch(thetas)[:, pos]
        scale = np.where(self.scale_param[pos] >= 0, thetas[:, np.maximum(self.scale_param[pos], 0)],
                         self.scale_fixed[pos])
        return 1.0 / scale ** 2 - explained

    def scale_values(self, theta: np.ndarray) -> np.ndarray:
        """The ordered items' scale factors ``~*~`` (1 / sd of the latent response given the
        covariates), in :attr:`ordered` order."""
        sigma = self._conditional(*self.ram.implied(theta)[:2])[0]
        return self.scale_factors(theta, sigma)[self.is_ordered] if self.parameterization == "delta" else \
            1.0 / np.sqrt(np.diag(sigma)[self.is_ordered])

    def sample_moments(self, stats):
        """The stage-1 statistics as a covariance matrix and means: latent responses with unit
        variance and mean 0, continuous variables with their own; given covariates, the (residual)
        moments of y plus what the sample slopes and the covariates' own moments imply (for start
        values and residuals): a :class:`~govstats.sem.statistics.Moments`."""
        from govstats.sem.statistics import Moments

        lay, values = self.layout, stats.values
        p = len(self.items)
        cov, mean = np.eye(p), np.zeros(p)
        cov[lay.var_item, lay.var_item] = values[lay.var]
        cov[lay.pair_a, lay.pair_b] = cov[lay.pair_b, lay.pair_a] = values[lay.pair]
        mean[lay.mean_item] = -values[lay.mean]
        if len(self.covariates):
            # y = intercept + Pi x + residual: with L = Pi on y's rows and the identity on x's,
            # Sigma = residual moments + L Sigma_xx L', mu = intercepts + L mu_x
            x = self.x_pos
            x_mean, x_cov = stats.x_moments
            loading = np.zeros((p, len(x)))
            loading[lay.slope_item, np.searchsorted(x, lay.slope_x)] = values[lay.slope]
            loading[x, np.arange(len(x))] = 1.0
            cov[x, x] = 0.0
            cov = cov + loading @ x_cov[np.ix_(x, x)] @ loading.T
            mean = mean + loading @ x_mean[x]
        return Moments(n=stats.n, mean=mean, cov=cov, raw=None, logdet=float(np.linalg.slogdet(cov)[1]))
