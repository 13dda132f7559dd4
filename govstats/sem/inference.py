"""From an estimate to inference: covariance of the estimates, the test statistics, fit measures.

One step for every estimator, dispatched on the kind of statistics:

- ML on moments: ``se = "standard"`` inverts the expected information; the sandwich
  (``robust.huber.white``, ``robust.cluster``) uses the observed information and the casewise
  (cluster-summed) scores, with the Yuan-Bentler (Mplus) scaled test, as lavaan's MLR;
  ``robust.sem`` uses the expected information and the sample's Gamma, with the Satorra-Bentler
  scaled test, as lavaan's MLM, or the scaled-shifted (MLMV) or mean-and-variance adjusted
  (MLMVS) test from the traces of U Gamma and its square.
- DWLS/ULS on stage-1 statistics: ``robust.sem`` SEs and the scaled-shifted test.
- GLS, WLS, DWLS, ULS on continuous moments: standard SEs and test, as lavaan.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from govstats.errors import NotPositiveDefiniteWarning
from govstats.sem import continuous_wls as least_squares
from govstats.sem import fiml_inference as fiml
from govstats.sem import fit_measures as fm
from govstats.sem.auxiliary import fit_baseline
from govstats.sem.fiml_robust import fiml_corrected
from govstats.sem.missing_data import pairwise_moments, x_marginal_logl
from govstats.sem import trouble
from govstats.sem.ml_inference import (casewise_scores, expected_information, first_order_information,
                                       gamma_middle, observed_information)
from govstats.sem.ordinal import estimation as wls
from govstats.sem.robust_test import (baseline_scaling, baseline_second_order_traces, h1_information,
                                      satorra_bentler_trace, second_order_traces, trace_ugamma)


@dataclass
class Inference:
    vcov: np.ndarray | None
    fit_measures: dict
    se_type: str
    test_type: str
    messages: list = field(default_factory=list)


def infer(bound, opt, options) -> Inference:
    messages = list(bound.statistics.messages)
    if not opt.converged:
        trouble.not_converged(opt.message, messages, "ordinal model" if bound.model.is_ordinal else "model")
    if bound.model.is_ordinal:
        return _infer_wls(bound, opt, options, messages)
    if bound.statistics.blocks[0].kind == "least_squares":
        return _infer_least_squares(bound, opt, options, messages)
    if bound.statistics.blocks[0].kind == "missing":
        return _infer_fiml(bound, opt, options, messages)
    return _infer_ml(bound, opt, options, messages)


def _infer_fiml(bound, opt, options, messages) -> Inference:
    """FIML (missing="fiml"): see :mod:`govstats.sem.fiml_inference`."""
    theta = opt.theta
    groups = [fiml.GroupTerms(m, d, theta) for m, d in zip(bound.blocks, bound.statistics.blocks)]
    n_total = bound.statistics.ntotal
    clustered = options.cluster is not None
    scaled = options.test == "yuan.bentler.mplus"
    constraints = opt.constraints
    inverse = np.linalg.inv if constraints is None else constraints.inverse
    b0 = None
    if options.se in ("robust.huber.white", "robust.cluster") or scaled or options.information == "first.order":
        b0 = fiml.first_order(groups, clustered)
    info = b0 if options.information == "first.order" else fiml.information(groups, theta, options.information)
    needs_inverse = options.se != "none" or scaled
    info_inv = checked_inverse(info, messages, constraints) if needs_inverse else None
    vcov = None
    if info_inv is not None and options.se != "none":
        robust = options.se in ("robust.huber.white", "robust.cluster")
        vcov = (info_inv @ b0 @ info_inv if robust else info_inv) / n_total

    implied = [(g.sigma, g.mu) for g in groups]
    logl = float(sum(g.logl for g in groups))
    unrestricted = fiml.h1_logl(groups)
    for g, label in zip(groups, bound.statistics.group_labels):
        if not g.d.h1.converged:
            where = "" if label is None else f" in group {label!r}"
            trouble.not_converged(f"the EM estimates of the unrestricted model{where} did not converge in "
                                  f"{g.d.h1.iterations} iterations", messages, "unrestricted (h1) model")
    chisq = max(2.0 * (unrestricted - logl), 0.0)
    x_index = [i for i, v in enumerate(bound.model.names.ov) if v in set(bound.model.names.ov_x)]
    if options.fixed_x and x_index:
        # as lavaan, conditional on the covariates: less their marginal log-likelihood, at the EM moments
        # for the model and at the pairwise ones (lavaan's cov.x) for the unrestricted model
        for g in groups:
            logl -= x_marginal_logl(g.d.n, g.d.h1.cov[np.ix_(x_index, x_index)])
            unrestricted -= x_marginal_logl(g.d.n, pairwise_moments(g.d.raw[:, x_index])[1])
    p = groups[0].mu.shape[0]
    n_moments = len(groups) * (p * (p + 1) / 2 + p)
    table = bound.model.table
    n_exo = int(((table.exo == 1) & (table.free == 0)).sum())
    q = bound.model.n_parameters
    df = n_moments - q - n_exo
    exo = x_index if options.fixed_x else []
    base_groups = None
    if options.auxiliary:  # semTools' baseline: the auxiliary variables stay saturated correlates
        base, base_opt = fit_baseline(bound, options.auxiliary)
        base_groups = [fiml.GroupTerms(m, d, base_opt.theta) for m, d in zip(base.blocks, base.statistics.blocks)]
        base_chisq = max(2.0 * (unrestricted - sum(g.logl for g in base_groups)), 0.0)
        base_df = n_moments - base.model.n_parameters
    else:
        base_chisq, base_df = fiml.baseline(groups, x_index, options.fixed_x)
    measures = fm.standard_measures(chisq=chisq, df=df, n=n_total, groups=len(groups), npar=q, logl=logl,
                                    unrestricted_logl=unrestricted, baseline_chisq=base_chisq, baseline_df=base_df,
                                    srmr=fiml.srmr(groups, implied))
    measures["fmin"] = chisq / (2 * n_total)
    test_type = "standard"
    if scaled and info_inv is not None and df > 0 and fiml.saturated_identified(groups, clustered):
        test_type = "yuan.bentler.mplus"
        e_inv = info_inv  # the Hessian's (lavaan's h1 variant is refused in the options)
        trace_h1 = fiml.saturated_trace(groups, clustered, exo, options.information == "expected")
        trace = trace_h1 - float(np.sum(b0 * e_inv.T))
        if base_groups is None:
            trace_h0_base = fiml.baseline_trace_h0(groups, clustered, exo)
        else:
            kind = "expected" if options.information == "expected" else "observed"
            e_base = np.linalg.inv(fiml.information(base_groups, base_opt.theta, kind))
            trace_h0_base = float(np.sum(fiml.first_order(base_groups, clustered) * e_base.T))
        c_null = (trace_h1 - trace_h0_base) / base_df
        measures.update(fm.robust_measures(chisq=chisq, df=df, n=n_total, groups=len(groups), c=trace / df,
                                           trace_ugamma=trace, baseline_chisq=base_chisq, baseline_df=base_df,
                                           c_null=c_null))
    if df > 0 and not fiml.saturated_identified(groups, clustered):
        # a pair of variables never observed together: the unrestricted model's information is singular
        # (lavaan: "computation of robust CFI failed", NA); the tests above that need it are left out too
        messages.append("The robust CFI/TLI/RMSEA (and a scaled test) need the unrestricted model's information, "
                        "which is singular: some pairs of variables are never observed together; not computed.")
    elif df > 0:  # lavaan reports the FIML-corrected robust indices with ML too (V6; V3 with a scaled test)
        # their baseline is the independence model (lavaan's lav_object_independence), with its own df,
        # even when the baseline test is semTools' (auxiliary variables); the CFI then mixes the two dfs
        nx = len(x_index)
        independence_df = len(groups) * (p * (p - 1) / 2 - nx * (nx - 1) / 2)
        corrected = fiml_corrected(groups, df, independence_df, "V3" if test_type != "standard" else "V6", clustered,
                                   x_index, options.fixed_x, inverse, options.information == "expected")
        measures.update(fm.fiml_robust_measures(xx3=corrected.xx3, df=df, c=corrected.c,
                                                xx3_null=corrected.xx3_null, df_null=base_df, c_null=corrected.c_null,
                                                n=n_total, groups=len(groups)))
    return Inference(vcov, measures, options.se, test_type, messages)


def _infer_least_squares(bound, opt, options, messages) -> Inference:
    """GLS, WLS, DWLS, ULS on continuous data: lavaan's standard SEs (sum_g c_g Delta' W Delta)^-1,
    chisq = sum_g c_g r' W r (c_g = N_g - 1), the independence model fitted by the same estimator,
    no likelihood."""
    theta, q = opt.theta, bound.model.n_parameters
    information, chisq, n_moments = 0.0, 0.0, 0
    for block, d in zip(bound.blocks, bound.statistics.blocks):
        m, sigma, pieces = block.moments(theta)
        r = d.values - m
        J = block.jacobian(theta, sigma, pieces)
        information = information + d.weight_n * (J.T @ least_squares.weighted(d.weights, J))
        chisq += d.weight_n * float(r @ least_squares.weighted(d.weights, r))
        n_moments += len(r)
    info_inv = checked_inverse(information, messages, opt.constraints) if options.se != "none" else None
    # residuals against the statistics fitted (S with the N - 1 divisor), as lavaan's SRMR for these
    data = [least_squares.fitted_moments(d) for d in bound.statistics.blocks]
    implied = [block.implied(theta)[:2] for block in bound.blocks]
    meanstructure = bound.model.meanstructure
    table = bound.model.table
    n_exo = int(((table.exo == 1) & (table.free == 0)).sum())  # fixed.x moments are fitted exactly, not counted
    df = n_moments - q - n_exo
    x_index = [i for i, v in enumerate(bound.model.names.ov) if v in set(bound.model.names.ov_x)]
    base_chisq, base_df = least_squares.baseline_chisq(bound, x_index, options.fixed_x)
    n_total, groups = bound.statistics.ntotal, len(bound.blocks)
    # lavaan's RMSEA for these estimators uses N - G (the statistic is (N - G) F with one group)
    measures = fm.standard_measures(chisq=chisq, df=df, n=n_total - groups, groups=groups, npar=q,
                                    logl=float("nan"), unrestricted_logl=float("nan"), baseline_chisq=base_chisq,
                                    baseline_df=base_df, srmr=fm.srmr_measures(data, implied, meanstructure))
    for name in ("logl", "unrestricted_logl", "aic", "bic", "bic2", "sabic"):  # no likelihood (lavaan: none)
        measures.pop(name, None)
    measures["ntotal"] = float(n_total)
    measures["fmin"] = chisq / (2 * n_total)
    if options.estimator == "ULS":
        # lavaan: the ULS statistic has no chi-square distribution (unit weights), its p-values are NA
        measures["pvalue"] = measures["baseline_pvalue"] = float("nan")
    return Inference(info_inv, measures, options.se, "standard", messages)


def checked_inverse(information: np.ndarray, messages: list, constraints=None):
    """The inverse of an information matrix (under linear constraints: K (K'IK)^-1 K'), or None
    with a warning when it is singular (the model may not be identified)."""
    try:
        reduced = information if constraints is None else constraints.reduced_information(information)
        eig = np.linalg.eigvalsh(reduced)
        if eig.min() <= 1e-10 * max(eig.max(), 1.0):
            raise np.linalg.LinAlgError
        return np.linalg.inv(information) if constraints is None else constraints.inverse(information)
    except np.linalg.LinAlgError:
        trouble.not_identified(messages)
        return None


def _infer_ml(bound, opt, options, messages) -> Inference:
    models, data = bound.blocks, bound.statistics.blocks
    meanstructure = bound.model.meanstructure
    theta = opt.theta
    n_total = bound.statistics.ntotal
    clustered = options.cluster is not None
    robust = options.se.startswith("robust")
    scaled = options.test == "yuan.bentler.mplus"
    observed = None
    if options.information == "observed" or (scaled and options.observed_information == "hessian"):
        observed = observed_information(models, data, theta, meanstructure)
    satorra_bentler = options.test == "satorra.bentler"
    second_order = options.test in ("scaled.shifted", "mean.var.adjusted")
    exo_names = set(bound.model.names.ov_x) if options.fixed_x else set()
    exo_index = [[i for i, v in enumerate(bound.model.names.ov) if v in exo_names] for _ in models]
    b0 = None
    if options.se in ("robust.huber.white", "robust.cluster") or scaled or options.information == "first.order":
        scores = casewise_scores(models, data, theta, meanstructure)
        b0 = first_order_information(scores, data, clustered)
    middle = None
    if options.se == "robust.sem" or satorra_bentler:
        middle = gamma_middle(models, data, theta, meanstructure, exo_index[0])
    information = {"observed": observed, "first.order": b0}.get(options.information)
    if information is None:
        information = expected_information(models, data, theta, meanstructure)
    vcov = None
    constraints = opt.constraints
    inverse = np.linalg.inv if constraints is None else constraints.inverse
    needs_inverse = options.se != "none" or scaled or satorra_bentler or second_order
    info_inv = checked_inverse(information, messages, constraints) if needs_inverse else None
    if info_inv is not None and options.se != "none":
        if robust:
            vcov = info_inv @ (middle if options.se == "robust.sem" else b0) @ info_inv / n_total
            # under equality constraints vcov has rank q - m by construction: check the reduced one
            eig = np.linalg.eigvalsh(vcov if constraints is None else constraints.reduced_information(vcov))
            if eig.min() < 1e-12 * eig.max():
                # As lavaan warns: with fewer clusters than parameters the sandwich has low rank.
                text = ("the robust covariance matrix of the estimates is not positive definite"
                        + (f" ({len(np.unique(data[0].cluster))} clusters for {len(theta)} parameters)"
                           if clustered else ""))
                messages.append(f"Note: {text}; standard errors of combinations of estimates may be unreliable.")
                warnings.warn(f"fit: {text}.", NotPositiveDefiniteWarning, stacklevel=4)
        else:
            vcov = info_inv / n_total

    implied = [m.implied(theta)[:2] for m in models]
    chisq = n_total * opt.fmin
    n_moments = sum(m.p * (m.p + 1) / 2 + (m.p if meanstructure else 0) for m in models)
    table = bound.model.table
    n_exo = int(((table.exo == 1) & (table.free == 0)).sum())  # fixed.x moments are not fitted
    q = bound.model.n_parameters
    df = n_moments - q - n_exo
    logl, unrestricted = fm.loglik(data, implied, meanstructure, exo_index[0])
    # lavaan's baseline keeps the covariates' block free even with fixed_x=False (they stay ov.x)
    x_index = [[i for i, v in enumerate(bound.model.names.ov) if v in set(bound.model.names.ov_x)] for _ in models]
    base_chisq, base_df = fm.baseline(data, x_index)
    free_x = [] if options.fixed_x else x_index[0]
    measures = fm.standard_measures(chisq=chisq, df=df, n=n_total, groups=len(models), npar=q, logl=logl,
                                    unrestricted_logl=unrestricted, baseline_chisq=base_chisq,
                                    baseline_df=base_df, srmr=fm.srmr_measures(data, implied, meanstructure))
    measures["fmin"] = chisq / (2 * n_total)  # lavaan's fmin: half the ML discrepancy
    test_type = "standard"
    if scaled and info_inv is not None and df > 0:
        test_type = "yuan.bentler.mplus"
        if options.information == "expected":
            e_inv = info_inv
        elif options.observed_information == "h1":
            e_inv = inverse(h1_information(models, data, theta, meanstructure))
        else:
            e_inv = inverse(observed)
        trace = trace_ugamma(data, meanstructure, b0, e_inv, clustered, exo_index[0])
        c = trace / df
        c_null = baseline_scaling(data, meanstructure, base_df, clustered, exo_index[0], free_x=free_x)
        measures.update(fm.robust_measures(chisq=chisq, df=df, n=n_total, groups=len(models), c=c,
                                           trace_ugamma=trace, baseline_chisq=base_chisq, baseline_df=base_df,
                                           c_null=c_null))
    if satorra_bentler and info_inv is not None and df > 0:
        test_type = "satorra.bentler"
        e_inv = info_inv if options.information == "expected" else inverse(observed)
        trace = satorra_bentler_trace(models, data, theta, meanstructure, middle, e_inv, exo_index[0])
        c_null = baseline_scaling(data, meanstructure, base_df, clustered, exo_index[0], satorra_bentler=True,
                                  free_x=free_x)
        measures.update(fm.robust_measures(chisq=chisq, df=df, n=n_total, groups=len(models), c=trace / df,
                                           trace_ugamma=trace, baseline_chisq=base_chisq, baseline_df=base_df,
                                           c_null=c_null))
    if second_order and info_inv is not None and df > 0:
        # MLMV / MLMVS (or ML with that test): the expected information is the only one allowed (options)
        test_type = options.test
        trace, trace2 = second_order_traces(models, data, theta, meanstructure, info_inv, exo_index[0])
        base_trace, base_trace2 = baseline_second_order_traces(data, meanstructure, exo_index[0], free_x)
        measures.update(fm.second_order_measures(test=test_type, chisq=chisq, df=df, n=n_total, groups=len(models),
                                                 trace=trace, trace2=trace2, baseline_chisq=base_chisq,
                                                 baseline_df=base_df, baseline_trace=base_trace,
                                                 baseline_trace2=base_trace2))
    return Inference(vcov, measures, options.se, test_type, messages)


def _infer_wls(bound, opt, options, messages) -> Inference:
    inf = wls.inference(bound, opt.theta, opt.constraints)
    if inf.vcov is None:
        trouble.not_identified(messages, "Delta' W Delta is singular")
    b_chisq, b_df, b_trace, b_trace2 = wls.baseline(bound)
    measures = fm.ordinal_measures(
        chisq=inf.chisq, df=inf.df, npar=bound.model.n_parameters, n=bound.statistics.ntotal, trace=inf.trace,
        trace2=inf.trace2, baseline_chisq=b_chisq, baseline_df=b_df, baseline_trace=b_trace,
        baseline_trace2=b_trace2, groups=len(bound.blocks), **_standardized_residuals(bound, inf.residuals),
        robust=wls.catml_robust(bound, inf), chisq_distributed=options.estimator != "ULSMV")
    vcov = None if options.se == "none" else inf.vcov
    return Inference(vcov, measures, options.se, "scaled.shifted", messages)


def _standardized_residuals(bound, residuals) -> dict:
    """Residuals of the stage-1 statistics for the SRMR family, per group: raw, and over the
    sample (residual) sds (1 for ordered items). As lavaan (reverse-engineered on the mixed and
    covariate fixtures: counts 9, 120, 36, 46, 55), the "with means" variants add the thresholds'
    residuals only, not those of continuous variables' means or of slopes; with covariates the
    count of moments adds the covariates' own (co)variances, whose residuals are zero."""
    out = []
    for block, d, r in zip(bound.blocks, bound.statistics.blocks, residuals):
        lay = block.layout
        sd = np.ones(len(block.items))
        sd[lay.var_item] = np.sqrt(d.values[lay.var])
        nx = len(block.covariates)
        out.append({"off_diagonal": r[lay.pair] / (sd[lay.pair_a] * sd[lay.pair_b]),
                    "diagonal": r[lay.var] / sd[lay.var_item] ** 2, "means": r[lay.th],
                    "raw": np.concatenate([r[lay.pair], r[lay.var]]), "extra_moments": nx * (nx + 1) // 2,
                    "weight": d.n})
    return {"residual_groups": out}
