"""``fit(..., ordered=...)``: ordinal SEM by WLSMV or ULSMV, from the codes to SEMResults.

Stage 1 (:mod:`govstats.sem.ordinal.stage1`) turns the codes into thresholds, polychoric
correlations and their asymptotic covariance; stage 2 (:mod:`govstats.sem.ordinal.estimation`) fits
the model to them; this module checks the input and builds lavaan's tables: thresholds as
``item | t1``, the items' residual variances (1 - R^2 in the delta parameterization) and
scale factors (``~*~``) as fixed rows, the standardized solution with delta-method SEs, and the
fit measures of the scaled-shifted test.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from govstats.sem import fit_measures as fm
from govstats.sem import trouble
from govstats.sem.partable import variable_names
from govstats.sem.syntax import parse_model
from govstats.sem.ordinal.estimation import baseline, catml_robust, estimate, inference, sample_moments, weights
from govstats.sem.ordinal.model import PARAMETERIZATIONS, OrdinalModel
from govstats.sem.ordinal.stage1 import stage1
from govstats.sem.prepare import numeric_block
from govstats.sem.results import SEMResults
from govstats.sem.standardize import defined_values, delta_se, standardize_batch
from govstats.sem.tables import estimate_tables

ORDINAL_ESTIMATORS = ("WLSMV", "ULSMV")
_OP_ORDER = {"=~": 0, "~": 1, "|": 2, "~~": 3, "~*~": 4, "~1": 5, ":=": 6}


def ordered_items(syntax: str, ordered) -> tuple[list[str], list[str], list[str]]:
    """(outcome variables, those of them that are continuous, exogenous covariates) of the model,
    from ``ordered``: True for every observed variable but the exogenous covariates (lavaan's
    ``ordered = TRUE``), or a list of names. Covariates are conditioned on, as lavaan's default
    ``conditional.x`` for ordered data, and must be continuous (or dummy-coded)."""
    names = variable_names(parse_model(syntax))
    covariates = list(names.ov_x)
    outcomes = [v for v in names.ov if v not in covariates]
    if ordered is True or (isinstance(ordered, str) and ordered == "all"):
        return outcomes, [], covariates
    if isinstance(ordered, str):
        ordered = [ordered]
    try:
        listed = set(ordered)
    except TypeError:
        raise ValueError(f"The 'ordered' parameter of fit must be True or a list of column names. "
                         f"Got {ordered!r} instead.") from None
    numeric = [v for v in outcomes if v not in listed]
    if len(numeric) == len(outcomes):
        raise ValueError(f"None of the model's variables is in 'ordered' ({sorted(listed)[:10]}); name the "
                         "ordered items, or leave out 'ordered' to treat every variable as continuous.")
    ordered_x = [v for v in covariates if v in listed]
    if ordered_x:
        raise ValueError(f"The exogenous covariate(s) {ordered_x} are in 'ordered'; as in lavaan, covariates are "
                         "conditioned on and must be continuous (or dummy-coded): leave them out of 'ordered'.")
    return outcomes, numeric, covariates


def fit_ordinal(syntax: str, data: pd.DataFrame, ordered, estimator: str, missing: str,
                parameterization: str, std_lv: bool, started: float, levels: dict | None = None) -> SEMResults:
    if parameterization not in PARAMETERIZATIONS:
        raise ValueError(f"The 'parameterization' parameter of fit must be one of {set(PARAMETERIZATIONS)}. "
                         f"Got {parameterization!r} instead.")
    items, numeric, covariates = ordered_items(syntax, ordered)
    observed = list(variable_names(parse_model(syntax)).ov)
    x = numeric_block(data, items + covariates)
    frame = pd.DataFrame(x, columns=items + covariates)
    blank = np.isnan(x).any(axis=1)
    if missing == "listwise":
        frame, dropped = frame[~blank], int(blank.sum())
    else:
        dropped = int(np.isnan(x).all(axis=1).sum())
        frame = frame[~np.isnan(x).all(axis=1)]
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        extra = {"numeric": numeric} if numeric else {}  # the all-ordered path stays the fast one
        if covariates:
            extra["covariates"] = covariates
        s1 = stage1(frame, items, missing=missing, levels=levels, **extra)
    for w in caught:  # kept with the results, and re-raised where the user called fit()
        messages.append(str(w.message))
        warnings.warn(w.message, w.category, stacklevel=4)
    undefined = [name for name, bad in zip(s1.names, np.isnan(np.diag(s1.gamma.to_numpy()))) if bad]
    if undefined:
        raise ValueError(f"The sampling variance of {', '.join(undefined)} is undefined (a 2 x 2 table with two "
                         "empty cells: the two items split the respondents identically); drop one of the "
                         "items or merge their categories before fitting.")
    x_moments = None
    if covariates:  # fixed.x: the covariates' sample moments (lavaan's cov.x, divided by N - 1)
        index = [observed.index(v) for v in covariates]
        mean, cov = np.zeros(len(observed)), np.zeros((len(observed), len(observed)))
        block = frame[covariates].to_numpy()
        mean[index] = block.mean(axis=0)
        cov[np.ix_(index, index)] = np.atleast_2d(np.cov(block, rowvar=False))
        x_moments = (mean, cov)
    model = OrdinalModel(syntax, s1.names, numeric + covariates, parameterization, std_lv, x_moments)
    w = weights(s1, estimator)
    est = estimate(model, s1, w)
    if not est.converged:
        trouble.not_converged(est.message, messages, "ordinal model")
    inf = inference(model, s1, w, est.theta)
    if inf.vcov is None:
        trouble.not_identified(messages, "Delta' W Delta is singular")

    params, standardized = _tables(model, est.theta, inf.vcov)
    trouble.heywood(params, messages)

    b_chisq, b_df, b_trace, b_trace2 = baseline(model, s1, w)
    sample = sample_moments(model, s1)
    measures = fm.ordinal_measures(
        chisq=inf.chisq, df=inf.df, npar=model.n_free, n=s1.nobs, trace=inf.trace, trace2=inf.trace2,
        baseline_chisq=b_chisq, baseline_df=b_df, baseline_trace=b_trace, baseline_trace2=b_trace2,
        **_standardized_residuals(model, s1, inf.residuals), robust=catml_robust(model, s1, w, est.theta, inf))
    return SEMResults(
        params=params, fit_measures=measures, standardized=standardized, nobs=s1.nobs, n_dropped=dropped,
        estimator=estimator, converged=est.converged, iterations=est.iterations,
        seconds=time.perf_counter() - started, syntax=syntax, group_labels=[None], warnings_=messages,
        se_type="robust.sem", test_type="scaled.shifted", engine=model.display,
        theta=model.display_theta(est.theta), vcov=inf.vcov, data=[sample], ordinal=model, stage1=s1,
    )


def _standardized_residuals(model: OrdinalModel, s1, residuals: np.ndarray) -> dict:
    """Residuals of the stage-1 statistics for the SRMR family: raw, and over the sample (residual)
    sds (1 for ordered items). As lavaan (reverse-engineered on the mixed and covariate fixtures:
    counts 9, 120, 36, 46, 55), the "with means" variants add the thresholds' residuals only, not
    those of continuous variables' means or of slopes; with covariates the count of moments adds
    the covariates' own (co)variances, whose residuals are zero."""
    lay = model.layout
    sd = np.ones(len(model.items))
    sd[lay.var_item] = np.sqrt(s1.values[lay.var])
    nx = len(model.covariates)
    return {"off_diagonal": residuals[lay.pair] / (sd[lay.pair_a] * sd[lay.pair_b]),
            "diagonal": residuals[lay.var] / sd[lay.var_item] ** 2,
            "means": residuals[lay.th],
            "raw": np.concatenate([residuals[lay.pair], residuals[lay.var]]),
            "extra_moments": nx * (nx + 1) // 2}


def _std_values(model: OrdinalModel, thetas: np.ndarray, kind: str) -> np.ndarray:
    """Standardized values of the display rows and the thresholds for many parameter vectors."""
    shown = model.display_theta_batch(thetas)
    rows = standardize_batch(model.display, shown, kind)
    th = thetas[:, model.n_struct:]
    if kind == "std.all":  # over the latent response's total sd (covariates' share included)
        total = model.display.models[0].variance_batch(shown)[:, model.th_item]
        th = th / np.sqrt(total)
    return np.hstack([rows, th])


def _tables(model: OrdinalModel, theta: np.ndarray, vcov: np.ndarray | None):
    display, engine = model.display, model.engine
    table = display.table
    n_th = model.n_thresholds
    values = display.values(model.display_theta(theta))
    free = engine.table.free.to_numpy()           # the display table's rows, as the fit counts them
    if vcov is not None:
        diag = np.sqrt(np.clip(np.diag(vcov), 0, None))
        se = np.where(free > 0, diag[np.maximum(free, 1) - 1], 0.0)
        th_se = diag[model.n_struct:]
    else:
        se = np.where(free > 0, np.nan, 0.0)
        th_se = np.full(n_th, np.nan)
    defined = table.op.to_numpy() == ":="
    std_all = _std_values(model, theta[None, :], "std.all")[0]
    std_lv = _std_values(model, theta[None, :], "std.lv")[0]
    if defined.any():
        shown = model.display_theta(theta)
        values[defined] = defined_values(display, shown)
        std_all[:len(table)][defined] = defined_values(display, shown, std=std_all[:len(table)])
        std_lv[:len(table)][defined] = defined_values(display, shown, std=std_lv[:len(table)])
        if vcov is not None:
            se[defined] = delta_se(lambda t: defined_values(display, model.display_theta(t)), theta, vcov)

    sd = model.latent_response_sd(theta)[model.is_ordered]
    th = model.threshold_table()
    scale = pd.DataFrame({"lhs": model.ordered, "op": "~*~", "rhs": model.ordered})
    frame = pd.concat([
        pd.DataFrame({"lhs": table.lhs, "op": table.op, "rhs": table.rhs, "group": table.group,
                      "label": table.label, "est": values, "se": se, "free": (free > 0) | defined,
                      "std_lv": std_lv[:len(table)], "std_all": std_all[:len(table)]}),
        th.assign(group=1, label="", est=theta[model.n_struct:], se=th_se, free=True,
                  std_lv=std_lv[len(table):], std_all=std_all[len(table):]),
        scale.assign(group=1, label="", est=1.0 / sd, se=0.0, free=False, std_lv=1.0 / sd, std_all=1.0),
    ], ignore_index=True)

    std_se = np.full(len(frame), np.nan)
    if vcov is not None:
        def all_std(t):
            out = _std_values(model, t[None, :], "std.all")[0]
            if defined.any():
                out[:len(table)][defined] = defined_values(display, model.display_theta(t),
                                                           std=out[:len(table)])
            return out
        batch = None if defined.any() else (lambda ts: _std_values(model, ts, "std.all"))
        std_se[:len(table) + n_th] = delta_se(all_std, theta, vcov, batch=batch)
        fixed = ~frame.free.to_numpy()
        std_se[fixed & (np.nan_to_num(std_se) < 1e-10)] = 0.0
        std_se[len(table) + n_th:] = 0.0

    order = np.argsort(frame.op.map(_OP_ORDER).to_numpy(), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    params, standardized = estimate_tables(frame, frame.est, frame.se, frame.free.to_numpy(), frame.std_lv,
                                           frame.std_all, std_se[order])
    return params, standardized
