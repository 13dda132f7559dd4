"""Fit measures, named as lavaan's ``fitMeasures()`` with ``.`` written ``_``.

Formulas follow lavaan 0.6 (lav_fit_cfi.R, lav_fit_rmsea.R): N (not N - 1) throughout;
the robust CFI/TLI of Brosseau-Liard and Savalei (2014) and the robust RMSEA with the
scaling factor c; the scaled RMSEA with the trace of UGamma as its degrees of freedom.
"""

from __future__ import annotations

import numpy as np
from govstats.sem.distributions import chi2_cdf, chi2_sf, increasing_root, ncx2_cdf

LOG_2PI = np.log(2 * np.pi)


def _cfi(x2, df, x2_null, df_null, c=1.0, c_null=1.0):
    if df > 0 and c != 1 and c_null != 1:
        t1 = max(x2 - c * df, 0.0)
        t2 = max(x2 - c * df, x2_null - c_null * df_null, 0.0)
    else:
        t1 = max(x2 - df, 0.0)
        t2 = max(x2 - df, x2_null - df_null, 0.0)
    return 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1 - t1 / t2


def _tli(x2, df, x2_null, df_null, c=1.0, c_null=1.0):
    if df > 0 and c != 1 and c_null != 1:
        t1 = (x2 - c * df) * df_null
        t2 = (x2_null - c_null * df_null) * df
    else:
        t1 = (x2 - df) * df_null
        t2 = (x2_null - df_null) * df
    return 1 - t1 / t2 if df > 0 and abs(t2) > 0 else 1.0


def _rmsea(x2, df, n, groups=1, c=1.0):
    return float(np.sqrt(max((x2 / n) / df - c / n, 0.0)) * np.sqrt(groups)) if df > 0 else 0.0


def _rmsea_ci(x2, df, n, groups=1, c=1.0, level=0.90):
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2
    f_lower = lambda lam: ncx2_cdf(x2, df, lam) - upper_p if lam > 0 else chi2_cdf(x2, df) - upper_p
    f_upper = lambda lam: ncx2_cdf(x2, df, lam) - lower_p if lam > 0 else chi2_cdf(x2, df) - lower_p
    if df < 1 or f_lower(0) < 0:
        lower = 0.0
    else:
        lam = increasing_root(lambda t: -f_lower(t), 0, x2)
        lower = np.sqrt(c * lam / (n * df)) * np.sqrt(groups)
    top = max(n, 4 * x2)
    if df < 1 or f_upper(top) > 0 or f_upper(0) < 0:
        upper = 0.0
    else:
        lam = increasing_root(lambda t: -f_upper(t), 0, top)
        upper = np.sqrt(c * lam / (n * df)) * np.sqrt(groups)
    return float(lower), float(upper)


def _rmsea_pvalue(x2, df, n, groups=1, c=1.0, h0=0.05, close=True):
    if df <= 0:
        return float("nan")
    ncp = (n * df / c * h0 ** 2) / groups
    cdf = ncx2_cdf(x2, df, ncp) if ncp > 0 else chi2_cdf(x2, df)
    return float(1 - cdf) if close else float(cdf)


def standard_measures(*, chisq, df, n, groups, npar, logl, unrestricted_logl, baseline_chisq, baseline_df,
                      srmr) -> dict:
    out = {
        "npar": float(npar), "chisq": chisq, "df": float(df),
        "pvalue": float(chi2_sf(chisq, df)) if df > 0 else float("nan"),
        "baseline_chisq": baseline_chisq, "baseline_df": float(baseline_df),
        "baseline_pvalue": float(chi2_sf(baseline_chisq, baseline_df)),
    }
    out.update(_incremental(chisq, df, baseline_chisq, baseline_df))
    out["logl"] = logl
    out["unrestricted_logl"] = unrestricted_logl
    out["aic"] = -2 * logl + 2 * npar
    out["bic"] = -2 * logl + npar * np.log(n)
    out["ntotal"] = float(n)
    out["bic2"] = -2 * logl + npar * np.log((n + 2) / 24)
    out["sabic"] = out["bic2"]
    out["rmsea"] = _rmsea(chisq, df, n, groups)
    out["rmsea_ci_lower"], out["rmsea_ci_upper"] = _rmsea_ci(chisq, df, n, groups)
    out["rmsea_ci_level"] = 0.90
    out["rmsea_pvalue"] = _rmsea_pvalue(chisq, df, n, groups)
    out["rmsea_close_h0"] = 0.05
    out["rmsea_notclose_pvalue"] = _rmsea_pvalue(chisq, df, n, groups, h0=0.08, close=False)
    out["rmsea_notclose_h0"] = 0.08
    out.update(srmr)
    return {k: float(v) for k, v in out.items()}


def robust_measures(*, chisq, df, n, groups, c, trace_ugamma, baseline_chisq, baseline_df, c_null) -> dict:
    """Scaled (Yuan-Bentler) and robust measures from the unscaled statistics and scaling factors."""
    scaled = chisq / c
    baseline_scaled = baseline_chisq / c_null
    out = {
        "chisq_scaled": scaled, "df_scaled": float(df),
        "pvalue_scaled": float(chi2_sf(scaled, df)), "chisq_scaling_factor": c,
        "baseline_chisq_scaled": baseline_scaled, "baseline_df_scaled": float(baseline_df),
        "baseline_pvalue_scaled": float(chi2_sf(baseline_scaled, baseline_df)),
        "baseline_chisq_scaling_factor": c_null,
        "cfi_robust": _cfi(chisq, df, baseline_chisq, baseline_df, c, c_null),
        "tli_robust": _tli(chisq, df, baseline_chisq, baseline_df, c, c_null),
    }
    # lavaan reports the whole CFI family (nnfi, rfi, nfi, pnfi, ifi, rni) for the scaled statistics
    out.update(_incremental(scaled, df, baseline_scaled, baseline_df, "_scaled"))
    out["nnfi_robust"] = out["tli_robust"]
    out["rni_robust"] = 1 - (chisq - c * df) / (baseline_chisq - c_null * baseline_df)
    out["rmsea_scaled"] = _rmsea(chisq, trace_ugamma, n, groups)
    out["rmsea_ci_lower_scaled"], out["rmsea_ci_upper_scaled"] = _rmsea_ci(chisq, trace_ugamma, n, groups)
    out["rmsea_pvalue_scaled"] = _rmsea_pvalue(chisq, trace_ugamma, n, groups)
    out["rmsea_notclose_pvalue_scaled"] = _rmsea_pvalue(chisq, trace_ugamma, n, groups, h0=0.08, close=False)
    out["rmsea_robust"] = _rmsea(chisq, df, n, groups, c)
    out["rmsea_ci_lower_robust"], out["rmsea_ci_upper_robust"] = _rmsea_ci(scaled, df, n, groups, c)
    out["rmsea_pvalue_robust"] = _rmsea_pvalue(scaled, df, n, groups, c)
    out["rmsea_notclose_pvalue_robust"] = _rmsea_pvalue(scaled, df, n, groups, c, h0=0.08, close=False)
    return {k: float(v) for k, v in out.items()}


def scaled_shifted(chisq, df, trace, trace2) -> tuple[float, float, float]:
    """(statistic, scaling factor 1/a, shift) of the scaled-shifted test (Asparouhov and Muthen's
    simple second-order correction, lavaan's "scaled.shifted"): a = sqrt(df / tr((UG)^2)),
    T = a chisq + df - a tr(UG)."""
    a = np.sqrt(df / trace2)
    return a * chisq + df - a * trace, 1.0 / a, df - a * trace


def mean_var_adjusted(chisq, trace, trace2) -> tuple[float, float, float]:
    """(statistic, Satterthwaite df, scaling factor) of lavaan's "mean.var.adjusted" test:
    df = tr(UG)^2 / tr((UG)^2) (fractional, as lavaan unless mimic = "Mplus"), c = tr(UG) / df."""
    df = trace ** 2 / trace2
    c = trace / df
    return chisq / c, df, c


def second_order_measures(*, test, chisq, df, n, groups, trace, trace2, baseline_chisq, baseline_df,
                          baseline_trace, baseline_trace2) -> dict:
    """The scaled and robust measures of ML with MLMV's scaled-shifted or MLMVS's mean-and-variance
    adjusted test, as lavaan 0.6.14 (lav_fit_cfi.R, lav_fit_rmsea.R) reports them.

    scaled.shifted: the scaled statistics in the usual formulas with the model's df; the robust
    CFI/TLI/RNI/RMSEA use c = a (df - shift) / df = tr(UG) / df (the Satorra-Bentler factor) with
    the unscaled chi-square, while the robust RMSEA's interval and p-values put the scaled-shifted
    statistic with c = 1/a (lavaan's ``c.hat``, not ``c.hat3``). mean.var.adjusted: the scaled CFI
    family with the fractional dfs, the scaled RMSEA from the unscaled chi-square on tr(UG) degrees
    of freedom, and no robust measures at all (lavaan's robust.flag is FALSE for this test).
    """
    if test == "scaled.shifted":
        scaled, factor, shift = scaled_shifted(chisq, df, trace, trace2)
        base_scaled, base_factor, _ = scaled_shifted(baseline_chisq, baseline_df, baseline_trace, baseline_trace2)
        df_scaled, base_df_scaled = df, baseline_df
    else:
        scaled, df_scaled, factor = mean_var_adjusted(chisq, trace, trace2)
        base_scaled, base_df_scaled, base_factor = mean_var_adjusted(baseline_chisq, baseline_trace, baseline_trace2)
    out = {"chisq_scaled": scaled, "df_scaled": df_scaled, "pvalue_scaled": float(chi2_sf(scaled, df_scaled)),
           "chisq_scaling_factor": factor,
           "baseline_chisq_scaled": base_scaled, "baseline_df_scaled": base_df_scaled,
           "baseline_pvalue_scaled": float(chi2_sf(base_scaled, base_df_scaled)),
           "baseline_chisq_scaling_factor": base_factor}
    out.update(_incremental(scaled, df_scaled, base_scaled, base_df_scaled, "_scaled"))
    if test == "mean.var.adjusted":
        out.update(_rmsea_block(chisq, trace, n, groups, "_scaled"))
        return {k: float(v) for k, v in out.items()}
    out["chisq_shift_parameter"] = shift
    out.update(_rmsea_block(scaled, df, n, groups, "_scaled"))
    c, c_null = trace / df, baseline_trace / baseline_df
    out["cfi_robust"] = _cfi(chisq, df, baseline_chisq, baseline_df, c, c_null)
    out["tli_robust"] = out["nnfi_robust"] = _tli(chisq, df, baseline_chisq, baseline_df, c, c_null)
    out["rni_robust"] = 1 - (chisq - c * df) / (baseline_chisq - c_null * baseline_df)
    out["rmsea_robust"] = _rmsea(chisq, df, n, groups, c)
    out["rmsea_ci_lower_robust"], out["rmsea_ci_upper_robust"] = _rmsea_ci(scaled, df, n, groups, factor)
    out["rmsea_pvalue_robust"] = _rmsea_pvalue(scaled, df, n, groups, factor)
    out["rmsea_notclose_pvalue_robust"] = _rmsea_pvalue(scaled, df, n, groups, factor, h0=0.08, close=False)
    return {k: float(v) for k, v in out.items()}


def fiml_robust_measures(*, xx3, df, c, xx3_null, df_null, c_null, n, groups) -> dict:
    """lavaan's robust CFI, TLI, RNI and RMSEA for incomplete data, from the FIML-corrected
    statistics (:mod:`govstats.sem.fiml_robust`): the robust formulas with XX3 and its scaling
    factor in place of the chi-square and c."""
    out = {"cfi_robust": _cfi(xx3, df, xx3_null, df_null, c, c_null),
           "tli_robust": _tli(xx3, df, xx3_null, df_null, c, c_null),
           "rni_robust": 1 - (xx3 - c * df) / (xx3_null - c_null * df_null),
           "rmsea_robust": _rmsea(xx3, df, n, groups, c)}
    out["nnfi_robust"] = out["tli_robust"]
    out["rmsea_ci_lower_robust"], out["rmsea_ci_upper_robust"] = _rmsea_ci(xx3 / c, df, n, groups, c)
    out["rmsea_pvalue_robust"] = _rmsea_pvalue(xx3 / c, df, n, groups, c)
    out["rmsea_notclose_pvalue_robust"] = _rmsea_pvalue(xx3 / c, df, n, groups, c, h0=0.08, close=False)
    return {k: float(v) for k, v in out.items()}


def srmr_measures(data, implied, meanstructure: bool) -> dict:
    """SRMR (Bentler: residuals of covariances over the sample sds), RMR, and CRMR (residuals of
    correlations, diagonal left out), with and without means; groups weighted by N_g / N."""
    total_n = sum(d.n for d in data)
    out = dict.fromkeys(("rmr", "rmr_nomean", "srmr", "srmr_bentler_nomean", "crmr", "crmr_nomean"), 0.0)
    for d, (sigma, mu) in zip(data, implied):
        p = d.cov.shape[0]
        rows, cols = np.tril_indices(p)
        off = rows != cols
        sd = np.sqrt(np.diag(d.cov))
        resid = d.cov - sigma
        e_cov = (resid / np.outer(sd, sd))[rows, cols]
        r_cov = resid[rows, cols]
        sd_implied = np.sqrt(np.diag(sigma))
        e_cor = (d.cov / np.outer(sd, sd) - sigma / np.outer(sd_implied, sd_implied))[rows, cols][off]
        e_mean = (d.mean - mu) / sd if meanstructure else np.zeros(0)
        r_mean = (d.mean - mu) if meanstructure else np.zeros(0)
        w = d.n / total_n
        n_el = len(e_cov) + len(e_mean)
        out["srmr"] += w * np.sqrt((np.sum(e_cov ** 2) + np.sum(e_mean ** 2)) / n_el)
        out["rmr"] += w * np.sqrt((np.sum(r_cov ** 2) + np.sum(r_mean ** 2)) / n_el)
        out["srmr_bentler_nomean"] += w * np.sqrt(np.sum(e_cov ** 2) / len(e_cov))
        out["rmr_nomean"] += w * np.sqrt(np.sum(r_cov ** 2) / len(r_cov))
        if len(e_cor):
            out["crmr"] += w * np.sqrt((np.sum(e_cor ** 2) + np.sum(e_mean ** 2)) / (len(e_cor) + len(e_mean)))
            out["crmr_nomean"] += w * np.sqrt(np.sum(e_cor ** 2) / len(e_cor))
    out["srmr_bentler"] = out["srmr"]
    return out


def loglik(data, implied, meanstructure, exo=()) -> tuple[float, float]:
    """(model log-likelihood, unrestricted log-likelihood), summed over groups. With fixed.x
    covariates (``exo``: their positions) both are conditional on them, as lavaan reports them:
    the covariates' marginal log-likelihood at their sample moments is subtracted."""
    logl = unrestricted = 0.0
    exo = list(exo)
    for d, (sigma, mu) in zip(data, implied):
        if exo:
            px = len(exo)
            marginal = -d.n / 2 * (px * LOG_2PI + np.linalg.slogdet(d.cov[np.ix_(exo, exo)])[1] + px)
            logl -= marginal
            unrestricted -= marginal
        p = d.cov.shape[0]
        sign, logdet = np.linalg.slogdet(sigma)
        inv = np.linalg.inv(sigma)
        diff = d.mean - mu
        quad = np.sum(d.cov * inv) + (diff @ inv @ diff if meanstructure else 0.0)
        logl += -d.n / 2 * (p * LOG_2PI + logdet + quad)
        unrestricted += -d.n / 2 * (p * LOG_2PI + d.logdet + p)
    return logl, unrestricted


def baseline(data, exogenous: list[list[int]]) -> tuple[float, float]:
    """Independence model: free variances (and means), exogenous covariates' block kept as sampled."""
    chisq = df = 0.0
    for d, exo in zip(data, exogenous):
        p = d.cov.shape[0]
        diag = np.diag(np.diag(d.cov))
        if exo:
            diag[np.ix_(exo, exo)] = d.cov[np.ix_(exo, exo)]
        sign, logdet = np.linalg.slogdet(diag)
        chisq += d.n * (logdet + np.trace(d.cov @ np.linalg.inv(diag)) - d.logdet - p)
        nx = len(exo)
        df += p * (p - 1) / 2 - nx * (nx - 1) / 2
    return float(chisq), float(df)


def _incremental(chisq, df, base_chisq, base_df, suffix="") -> dict:
    """CFI, TLI and their relatives from one pair of (model, baseline) statistics, with lavaan's NA
    cases (lav_fit_cfi.R): a baseline with a zero statistic or fewer degrees of freedom than the
    model (a one-variable model, "x1 ~~ x1") has no NFI, PNFI, IFI or RNI."""
    nan = float("nan")
    out = {"cfi": _cfi(chisq, df, base_chisq, base_df), "tli": _tli(chisq, df, base_chisq, base_df)}
    out["nnfi"] = out["tli"]
    if df > base_df:
        out["rfi"] = nan
    elif df > 0 and base_df > 0:
        t1, t2 = base_chisq / base_df - chisq / df, base_chisq / base_df
        out["rfi"] = 1.0 if (t1 < 0 or t2 < 0) else t1 / t2
    else:
        out["rfi"] = 1.0
    if df > base_df or np.isclose(base_chisq, 0):
        out["nfi"] = nan
    else:
        out["nfi"] = (base_chisq - chisq) / base_chisq if df > 0 else 1.0
    out["pnfi"] = (df / base_df) * (base_chisq - chisq) / base_chisq if base_df > 0 and base_chisq > 0 else nan
    t2 = base_chisq - df
    out["ifi"] = 1.0 if t2 < 0 else nan if np.isclose(t2, 0) else (base_chisq - chisq) / t2
    denominator = base_chisq - base_df
    out["rni"] = nan if np.isclose(denominator, 0) else 1 - (chisq - df) / denominator
    return {k + suffix: v for k, v in out.items()}


def _rmsea_block(chisq, df, n, groups=1, suffix="") -> dict:
    out = {"rmsea": _rmsea(chisq, df, n, groups)}
    out["rmsea_ci_lower"], out["rmsea_ci_upper"] = _rmsea_ci(chisq, df, n, groups)
    out["rmsea_pvalue"] = _rmsea_pvalue(chisq, df, n, groups)
    out["rmsea_notclose_pvalue"] = _rmsea_pvalue(chisq, df, n, groups, h0=0.08, close=False)
    return {k + suffix: v for k, v in out.items()}


def ordinal_measures(*, chisq, df, npar, n, trace, trace2, baseline_chisq, baseline_df, baseline_trace,
                     baseline_trace2, residual_groups, groups=1, robust=None, chisq_distributed=True) -> dict:
    """lavaan's fit measures for WLSMV/ULSMV (scaled-shifted test), as ``fitMeasures()`` names them.

    As lavaan 0.6 does for these estimators: the RMSEA uses N - 1 (the statistic is (N - 1) F);
    the scaled CFI, TLI and RMSEA put the scaled-shifted statistics of the model and of the
    baseline (independence: correlations zero, thresholds free) in the usual formulas with the
    model's df; the SRMR family averages squared standardized residuals (``off_diagonal``: of the
    correlations, or covariances over sample sds; ``diagonal``: of the continuous variables'
    variances, the ordered items' being 0) over p(p+1)/2 moments, adding the thresholds and means
    (``means``) for the "with means" variants; the CRMR leaves the diagonal out; the RMR does
    the same with unstandardized residuals (``raw``: off-diagonal, then diagonal). lavaan's
    log-likelihood, AIC and BIC do not exist for these estimators. ``chisq_distributed=False``
    (ULS): the unscaled statistic has no chi-square distribution, so its p-values are NaN
    (lavaan's NA). With several groups the RMSEA uses N - G and the factor sqrt(G), and the SRMR
    family averages the groups' values weighted by N_g / N, as for continuous data. ``robust``
    (see :func:`govstats.sem.ordinal.estimation.catml_robust`) gives lavaan's robust CFI, TLI and
    RMSEA: the ML statistic of the polychoric matrix with its scaling factors, in the formulas of
    the continuous robust indices (RMSEA with N - G).
    """
    chisq_s, factor, shift = scaled_shifted(chisq, df, trace, trace2)
    base_s, base_factor, _ = scaled_shifted(baseline_chisq, baseline_df, baseline_trace, baseline_trace2)
    out = {
        "npar": float(npar), "fmin": chisq / (2 * n),
        "chisq": chisq, "df": float(df),
        "pvalue": float(chi2_sf(chisq, df)) if df > 0 and chisq_distributed else float("nan"),
        "chisq_scaled": chisq_s, "df_scaled": float(df),
        "pvalue_scaled": float(chi2_sf(chisq_s, df)) if df > 0 else float("nan"),
        "chisq_scaling_factor": factor, "chisq_shift_parameter": shift,
        "baseline_chisq": baseline_chisq, "baseline_df": float(baseline_df),
        "baseline_pvalue": float(chi2_sf(baseline_chisq, baseline_df)) if chisq_distributed else float("nan"),
        "baseline_chisq_scaled": base_s, "baseline_df_scaled": float(baseline_df),
        "baseline_pvalue_scaled": float(chi2_sf(base_s, baseline_df)),
        "baseline_chisq_scaling_factor": base_factor,
    }
    out.update(_incremental(chisq, df, baseline_chisq, baseline_df))
    out.update(_incremental(chisq_s, df, base_s, baseline_df, "_scaled"))
    out.update(_rmsea_block(chisq, df, n - groups, groups))
    out.update(_rmsea_block(chisq_s, df, n - groups, groups, "_scaled"))
    out.update({"rmsea_ci_level": 0.90, "rmsea_close_h0": 0.05, "rmsea_notclose_h0": 0.08})
    if robust is not None:
        x3, c, x3_null, c_null = robust.chisq, robust.scaling, robust.baseline_chisq, robust.baseline_scaling
        out["cfi_robust"] = _cfi(x3, df, x3_null, baseline_df, c, c_null)
        out["rni_robust"] = 1 - (x3 - c * df) / (x3_null - c_null * baseline_df)
        out["tli_robust"] = out["nnfi_robust"] = _tli(x3, df, x3_null, baseline_df, c, c_null)
        out["rmsea_robust"] = _rmsea(x3, df, n - groups, groups, c)
        out["rmsea_ci_lower_robust"], out["rmsea_ci_upper_robust"] = _rmsea_ci(x3 / c, df, n - groups, groups, c)
        out["rmsea_pvalue_robust"] = _rmsea_pvalue(x3 / c, df, n - groups, groups, c)
        out["rmsea_notclose_pvalue_robust"] = _rmsea_pvalue(x3 / c, df, n - groups, groups, c, h0=0.08,
                                                            close=False)
    srmr = {k: 0.0 for k in ("srmr", "srmr_bentler", "rmr_nomean", "rmr", "crmr", "crmr_nomean")}
    total = sum(r["weight"] for r in residual_groups)
    for r in residual_groups:
        off, diag, mean = (float(np.sum(np.square(r[k]))) for k in ("off_diagonal", "diagonal", "means"))
        n_off, n_mean = len(r["off_diagonal"]), len(r["means"])
        n_vech = n_off + (1 + np.sqrt(1 + 8 * n_off)) / 2 + r["extra_moments"]
        raw_ss = float(np.sum(np.square(r["raw"])))
        w = r["weight"] / total
        srmr["srmr"] += w * np.sqrt((off + diag) / n_vech)
        srmr["srmr_bentler"] += w * np.sqrt((off + diag + mean) / (n_vech + n_mean))
        srmr["rmr_nomean"] += w * np.sqrt(raw_ss / n_vech)
        srmr["rmr"] += w * np.sqrt((raw_ss + mean) / (n_vech + n_mean))
        srmr["crmr"] += w * np.sqrt((off + mean) / (n_off + n_mean))
        srmr["crmr_nomean"] += w * np.sqrt(off / n_off)
    out.update(srmr)
    out["srmr_bentler_nomean"] = srmr["srmr"]
    return {k: float(v) for k, v in out.items()}
