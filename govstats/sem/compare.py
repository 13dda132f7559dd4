"""Difference tests of nested models, as lavaan 0.6.14's ``lavTestLRT`` (``anova``), with the
fit-index changes of ``semTools::compareFit``.

The test follows the models' test statistic, as lavaan's ``method = "default"``:

- standard (ML, GLS, ...): the plain chi-square difference, and lavaan's RMSEA of the difference
  (``RMSEA.D``: sqrt(max(0, (dX2 / N) / ddf - 1 / N)) sqrt(G));
- Satorra-Bentler or Yuan-Bentler scaled tests (MLM, MLR): the Satorra-Bentler (2001) scaled
  difference, c_d = (df0 c0 - df1 c1) / (df0 - df1), T = (T0 - T1) / c_d from the unscaled
  statistics;
- the scaled-shifted (WLSMV, ULSMV, MLMV) or mean-and-variance adjusted (MLMVS) tests: for both
  lavaan's default is Satorra (2000) scaled and shifted, as lavaan computes it (``A.method =
  "delta"``, ``scaled.shifted = TRUE``): A spans the directions of the larger model's
  parameters that the smaller one cannot follow (the orthogonal complement of
  ginv(Delta1) Delta0), U = V Delta P^-1 A' (A P^-1 A')^+ A P^-1 Delta' V with P the larger
  model's expected information, and T = a (T0 - T1) + b with a = sqrt(m / tr((U Gamma)^2)),
  b = m - a tr(U Gamma), the group blocks weighted by N_g / N (lavaan's 0.6-13 global
  approach for the squared trace). For ML fits (MLMV, MLMVS) W is the normal-theory weight at the
  larger model's implied moments and Gamma the sample's (fixed.x version with covariates).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import block_diag

from govstats.errors import GovstatsWarning
from govstats.sem.continuous_wls import weighted
from govstats.sem.distributions import chi2_sf
from govstats.sem.robust_test import moment_pieces

__all__ = ["Comparison", "compare", "difference_test", "CHEN_2007"]

SCALED_TESTS = ("satorra.bentler", "yuan.bentler", "yuan.bentler.mplus")
# Chen (2007), N > 300: a drop in CFI of at least .010, together with a rise in RMSEA of at least
# .015 or in SRMR of at least .030 (loadings) or .010 (intercepts, residuals), points to
# non-invariance.
CHEN_2007 = {"cfi": -0.010, "rmsea": 0.015, "srmr_loadings": 0.030, "srmr_intercepts": 0.010}
FIT_COLUMNS = ("npar", "chisq", "df", "pvalue", "chisq_scaled", "df_scaled", "pvalue_scaled", "cfi", "tli",
               "rmsea", "srmr", "cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust",
               "rmsea_robust", "aic", "bic")


class ComparisonWarning(GovstatsWarning):
    """Models that are not comparable as asked (different data, not nested, not converged)."""


@dataclass
class Comparison:
    """Nested models compared (:func:`compare`).

    Attributes
    ----------
    table : DataFrame
        One row per model, from the fewest to the most degrees of freedom: lavaan's
        ``lavTestLRT`` columns (``df``, ``aic``, ``bic``, ``chisq``, ``chisq_diff``, ``df_diff``,
        ``pvalue_diff``; ``rmsea_diff`` for unscaled tests; ``scale``/``shift`` for
        scaled-shifted ones), then the fit measures of each model (plain, scaled and robust where
        the estimator has them) and their changes from the previous row (``delta_cfi``, ...).
    method : str
        The difference test: ``"standard"``, ``"satorra.bentler.2001"`` or ``"satorra.2000"``.
    """

    table: pd.DataFrame
    method: str

    def summary(self) -> str:
        heading = {"standard": "Chi-squared difference test",
                   "satorra.bentler.2001": "Scaled chi-squared difference test (Satorra-Bentler 2001)",
                   "satorra.2000": "Scaled-shifted chi-squared difference test (Satorra 2000)"}[self.method]
        cols = [c for c in ("df", "chisq", "chisq_diff", "df_diff", "pvalue_diff", "cfi", "delta_cfi", "rmsea",
                            "delta_rmsea", "srmr", "delta_srmr") if c in self.table]
        lines = [heading, ""]
        if self.method != "standard":
            lines += ["The chisq column holds each model's standard (unscaled) statistic; the difference",
                      "test is the robust one.", ""]
        lines.append(self.table[cols].to_string(float_format=lambda v: f"{v:.4f}", na_rep=""))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{self.summary().splitlines()[0]}</p>" + self.table.to_html(float_format=lambda v: f"{v:.4f}",
                                                                              na_rep="")


def compare(*fits, names=None) -> Comparison:
    """Compare nested models fitted to the same data, as lavaan's ``lavTestLRT(fit_a, fit_b, ...)``.

    Parameters
    ----------
    *fits : SEMResults
        Two or more fits of nested models to the same data with the same estimator; the order
        does not matter (they are sorted by degrees of freedom, as lavaan).
    names : list of str, optional
        Row names (default ``model1``, ``model2``, ... in the order given).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import pandas as pd, govstats
    >>> from govstats.resources import instruments_dir
    >>> d = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> m = "AU =~ AU1 + AU2 + AU3 + AU4"
    >>> configural = govstats.fit(m, d, group="district")
    >>> metric = govstats.fit(m, d, group="district", group_equal=["loadings"])
    >>> int(compare(configural, metric).table["df_diff"].iloc[1])
    6
    """
    if len(fits) < 2:
        raise ValueError(f"compare needs at least two fits; got {len(fits)}.")
    names = [f"model{i + 1}" for i in range(len(fits))] if names is None else [str(n) for n in names]
    if len(names) != len(fits):
        raise ValueError(f"The 'names' parameter of compare must name each of the {len(fits)} fits; "
                         f"got {len(names)} names.")
    for name, f in zip(names, fits):
        if not hasattr(f, "fit_measures") or not hasattr(f, "params"):
            raise ValueError(f"compare takes results of govstats.fit; {name} is a {type(f).__name__}.")
    _check_comparable(fits, names)
    order = sorted(range(len(fits)), key=lambda i: fits[i].fit_measures["df"])
    fits = [fits[i] for i in order]
    names = [names[i] for i in order]
    method = _method(fits)
    rows = []
    for k, f in enumerate(fits):
        row = {"model": names[k]}
        row.update({c: f.fit_measures.get(c, np.nan) for c in FIT_COLUMNS})
        if k:
            row.update(difference_test(fits[k - 1], f, method))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    for c in ("cfi", "tli", "rmsea", "srmr", "cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust",
              "rmsea_robust", "aic", "bic"):
        if c in table and table[c].notna().any():
            table[f"delta_{c}"] = table[c].diff()
    lead = ["df", "npar", "aic", "bic", "chisq", "chisq_diff", "df_diff", "pvalue_diff"]
    lead += [c for c in ("rmsea_diff", "scale", "shift") if c in table]
    table = table[lead + [c for c in table if c not in lead]]
    table = table.dropna(axis=1, how="all")
    return Comparison(table, method)


def _check_comparable(fits, names) -> None:
    first = fits[0]
    estimators = {f.estimator for f in fits}
    if len(estimators) > 1:
        raise ValueError(f"compare: the fits use different estimators ({sorted(estimators)}); a difference "
                         "test needs the same estimator for every model.")
    for name, f in zip(names[1:], fits[1:]):
        if f.nobs != first.nobs or list(f.nobs_groups) != list(first.nobs_groups):
            raise ValueError(f"compare: {name} was fitted to {f.nobs} rows {list(f.nobs_groups)}, {names[0]} to "
                             f"{first.nobs} {list(first.nobs_groups)}; nested models must be fitted to the same data.")
        if sorted(f._bound.model.observed) != sorted(first._bound.model.observed):
            warnings.warn(f"compare: {name} and {names[0]} use different observed variables; the models cannot "
                          "be nested.", ComparisonWarning, stacklevel=3)
    if not all(f.converged for f in fits):
        bad = [n for n, f in zip(names, fits) if not f.converged]
        warnings.warn(f"compare: not every model converged ({', '.join(bad)}).", ComparisonWarning, stacklevel=3)


def _method(fits) -> str:
    types = [f.test_type for f in fits]
    scaled = [t != "standard" for t in types]
    dfs = [f.fit_measures["df"] for f in fits]
    if all(s or d == 0 for s, d in zip(scaled, dfs)) and any(scaled):
        kind = next(t for t in types if t != "standard")
        return "satorra.bentler.2001" if kind in SCALED_TESTS else "satorra.2000"
    if any(scaled):
        raise ValueError("compare: some models (but not all) have scaled test statistics; fit them with the "
                         "same estimator and test.")
    return "standard"


def difference_test(larger, smaller, method: str = "standard") -> dict:
    """The difference test of ``smaller`` (more degrees of freedom) against ``larger``.

    Returns ``chisq_diff``, ``df_diff``, ``pvalue_diff`` and, by method, ``rmsea_diff``
    (standard), ``scaling_factor`` (Satorra-Bentler 2001) or ``scale``/``shift`` (Satorra 2000).
    """
    t1, r1 = larger.fit_measures["chisq"], larger.fit_measures["df"]
    t0, r0 = smaller.fit_measures["chisq"], smaller.fit_measures["df"]
    m = r0 - r1
    if t0 - t1 < -np.finfo(float).eps ** (1 / 3):
        warnings.warn("compare: a restricted model fits better than a less restricted one; either the models are "
                      f"not nested or the larger one missed its optimum (difference {t0 - t1:.6g}).",
                      ComparisonWarning, stacklevel=3)
    out = {"df_diff": m}
    if m == 0:
        out.update(chisq_diff=t0 - t1, pvalue_diff=np.nan)
        warnings.warn("compare: two models have the same degrees of freedom; no test.", ComparisonWarning,
                      stacklevel=3)
        return out
    if method == "standard":
        n, groups = larger.nobs, max(len(larger.nobs_groups), 1)
        stat = t0 - t1
        out.update(chisq_diff=stat, rmsea_diff=float(np.sqrt(max(stat / n / m - 1 / n, 0.0)) * np.sqrt(groups)))
    elif method == "satorra.bentler.2001":
        c1 = larger.fit_measures.get("chisq_scaling_factor", 1.0) if r1 > 0 else 1.0
        c0 = smaller.fit_measures["chisq_scaling_factor"]
        cd = (r0 * c0 - r1 * c1) / m
        if cd < 0:
            warnings.warn("compare: the scaling factor of the difference test is negative; no test (lavaan "
                          "warns the same).", ComparisonWarning, stacklevel=3)
            cd = np.nan
        out.update(chisq_diff=(t0 - t1) / cd, scaling_factor=cd)
    else:
        trace, trace2 = satorra_2000_traces(larger, smaller)
        a = np.sqrt(m / trace2)
        b = m - a * trace
        out.update(chisq_diff=(t0 - t1) * a + b, scale=a, shift=b)
    out["pvalue_diff"] = float(chi2_sf(out["chisq_diff"], m)) if np.isfinite(out["chisq_diff"]) else np.nan
    return out


def _pieces(results):
    """Per group (Delta, W, Gamma, N_g) of a fit at its estimate: stage-1 statistics (WLSMV/ULSMV;
    W a vector of diagonal weights), or complete-data ML moments (MLMV/MLMVS; W the normal-theory
    weight at the implied moments, Gamma the sample's)."""
    # with efa blocks the unrotated parameterization: the rotated one is not identified (its Jacobian
    # has the rotation's directions), both span the same model
    bound, theta = results._unrotated if results._unrotated is not None else (results._bound, results._theta)
    kind = getattr(bound.statistics.blocks[0], "kind", None)
    if kind == "moments" and results.test_type in ("scaled.shifted", "mean.var.adjusted"):
        return _ml_pieces(bound, theta, results.options["fixed_x"])
    pieces = []
    for block, d in zip(bound.blocks, bound.statistics.blocks):
        if not hasattr(block, "jacobian") or getattr(d, "kind", None) != "ordinal":
            raise ValueError("compare: the Satorra (2000) difference test is implemented for fits on stage-1 "
                             "(ordinal) statistics and complete-data ML fits (MLMV, MLMVS) only.")
        _, sigma, parts = block.moments(theta)
        pieces.append((block.jacobian(theta, sigma, parts), d.weights, d.gamma, float(d.n)))
    return pieces


def _ml_pieces(bound, theta, fixed_x: bool):
    names = bound.model.names
    exo = [i for i, v in enumerate(names.ov) if v in set(names.ov_x)] if fixed_x else []
    return moment_pieces(bound.blocks, bound.statistics.blocks, theta, bound.model.meanstructure, exo)


def satorra_2000_traces(larger, smaller) -> tuple[float, float]:
    """tr(U Gamma) and tr((U Gamma)^2) of the difference between two nested stage-1 fits
    (lavaan's ``lav_test_diff_Satorra2000`` with ``A.method = "delta"``, H1 = the larger model)."""
    p1, p0 = _pieces(larger), _pieces(smaller)
    n_total = sum(p[3] for p in p1)
    fg = np.array([p[3] / n_total for p in p1])
    delta1 = np.vstack([p[0] for p in p1])
    delta0 = np.vstack([p[0] for p in p0])
    basis1 = _constraint_basis(larger)
    if basis1 is not None:
        delta1 = delta1 @ basis1
    basis0 = _constraint_basis(smaller)
    if basis0 is not None:
        delta0 = delta0 @ basis0
    h = np.linalg.pinv(delta1, rcond=np.sqrt(np.finfo(float).eps)) @ delta0
    u, s, _ = np.linalg.svd(h, full_matrices=True)
    rank = int(np.sum(s > 1e-7 * s[0])) if len(s) and s[0] > 0 else 0
    a = u[:, rank:].T                                         # rows: directions model 0 cannot follow
    info = sum(f * (d.T @ weighted(w, d)) for f, (d, w, _, _) in zip(fg, p1))
    if basis1 is not None:
        info = basis1.T @ info @ basis1
    p_inv = np.linalg.inv(info)
    apa = a @ p_inv @ a.T
    tol = np.sqrt(np.finfo(float).eps)
    keep = ~((np.abs(apa.sum(axis=0)) < tol) & (np.abs(apa.sum(axis=1)) < tol))
    a = a[keep]
    paaap = p_inv @ a.T @ np.linalg.pinv(a @ p_inv @ a.T, rcond=tol) @ a @ p_inv
    blocks = [(d if basis1 is None else d @ basis1, w, g) for d, w, g, _ in p1]
    trace = 0.0
    for f, (d, w, g) in zip(fg, blocks):
        wd = weighted(w, d)
        # tr(W Gamma W Delta PAAAP Delta') = tr(PAAAP Delta' W Gamma W Delta)
        trace += f * float(np.sum(paaap * (wd.T @ g @ wd)))
    v_all = block_diag(*[np.diag(w) if w.ndim == 1 else w for _, w, _ in blocks])
    pi_all = np.vstack([d for d, _, _ in blocks])
    gamma_all = block_diag(*[f * g for f, (_, _, g) in zip(fg, blocks)])
    vpi = v_all @ pi_all
    u_all = vpi @ paaap @ vpi.T
    ug = u_all @ gamma_all
    trace2 = float(np.sum(ug * ug.T))
    return trace, trace2


def _constraint_basis(results):
    """The basis K of the parameters under the model's explicit linear equality constraints, or None."""
    constraints = results._bound.model.constraints
    if constraints is None:
        return None
    if not constraints.is_linear:
        raise ValueError("compare: the Satorra (2000) difference test of models with nonlinear constraints (or "
                         "constraints on := parameters) is not available in this version.")
    basis = constraints.basis()
    return None if basis is None else basis.basis
