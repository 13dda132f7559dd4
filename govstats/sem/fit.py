"""``fit()``: estimate a CFA/SEM and return lavaan-grade results."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from govstats._threads import single_threaded
from govstats.errors import NotPositiveDefiniteWarning
from govstats.sem import fit_measures as fm
from govstats.sem import trouble
from govstats.sem.engine import CompiledModel
from govstats.sem.ordinal import ORDINAL_ESTIMATORS, fit_ordinal
from govstats.sem.inference import (casewise_scores, expected_information, first_order_information,
                                    observed_information)
from govstats.sem.prepare import group_data, model_text, numeric_block
from govstats.sem.results import SEMResults
from govstats.sem.robust_test import baseline_scaling, trace_ugamma
from govstats.sem.tables import estimate_tables
from govstats.sem.standardize import defined_values, delta_se, standardize, standardize_batch

ESTIMATORS = ("ML", "MLR")
PLANNED = ("DWLS", "ULS", "GLS")
MISSING = ("listwise",)


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"The '{name}' parameter of fit must be one of {set(allowed)}. Got {value!r} instead.")


def fit(model, data: pd.DataFrame, estimator: str | None = None, ordered=None, missing: str = "listwise",
        cluster: str | None = None, group: str | None = None, group_equal=(), se: str | None = None,
        bootstrap: int = 0, seed: int | None = None, *, std_lv: bool = False,
        meanstructure: bool | None = None, parameterization: str = "delta") -> SEMResults:
    """Fit a confirmatory factor or structural equation model.

    Parameters
    ----------
    model : str or Instrument
        lavaan-style model syntax, or an instrument (its ``model_syntax()``; item columns
        are found by id, other columns ignored).
    data : DataFrame
        One row per respondent.
    estimator : {"ML", "MLR", "WLSMV", "ULSMV"}, optional
        Maximum likelihood; MLR adds sandwich standard errors and the Yuan-Bentler (Mplus
        variant) scaled test, as lavaan's ``estimator = "MLR"``. WLSMV (the default with
        ``ordered``) and ULSMV fit ordered items through their thresholds and polychoric
        correlations, with robust SEs and the scaled-shifted test, as lavaan. Default: ML, or
        WLSMV when ``ordered`` is given.
    ordered : True or list of str, optional
        Treat the items as ordinal (Likert codes): True for every observed variable of the
        model, or their names; the model's other observed variables are continuous (means,
        variances, polyserial and Pearson correlations in stage 1), and continuous exogenous
        covariates are conditioned on (probit regressions and residual correlations: lavaan's
        default ``conditional.x`` for ordered data).
    missing : {"listwise", "pairwise"}
        Rows with a blank are left out; with ordered items "pairwise" uses every row for the
        thresholds and correlations it can inform (lavaan's ``missing = "pairwise"``).
    cluster : str, optional
        Column of cluster ids (communities): cluster-robust standard errors and scaled test,
        as lavaan's ``cluster =`` for single-level models.
    group, group_equal
        Multiple-group models with lavaan's ``group.equal`` constraints.
    std_lv : bool
        Fix factor variances to 1 instead of the first loadings.
    meanstructure : bool, optional
        Default as lavaan: with clusters or several groups, or when the syntax has intercepts.
    parameterization : {"delta", "theta"}
        Ordered items only: scale the latent responses to unit variance (delta, lavaan's
        default) or their residuals (theta).

    Returns
    -------
    SEMResults

    Examples
    --------
    >>> import pandas as pd
    >>> from govstats import fit
    >>> from govstats.resources import instruments_dir
    >>> data = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> res = fit("AU =~ AU1 + AU2 + AU3 + AU4", data)
    >>> int(res.fit_measures["df"])
    2
    >>> ordinal = fit("AU =~ AU1 + AU2 + AU3 + AU4", data, ordered=True)  # WLSMV, as lavaan
    >>> ordinal.params.query("lhs == 'AU1' and op == '|'").rhs.tolist()
    ['t1', 't2', 't3', 't4']
    >>> ordinal.test_type
    'scaled.shifted'
    """
    started = time.perf_counter()
    with single_threaded():
        if ordered is not None and ordered is not False:
            return _fit_ordered(model, data, estimator, ordered, missing, cluster, group, se, bootstrap,
                                std_lv, parameterization, started)
        if estimator in ORDINAL_ESTIMATORS:
            raise ValueError(f"estimator={estimator!r} is for ordered items: pass ordered=True (every observed "
                             "variable of the model) or ordered=[item names].")
        return _fit(model, data, estimator or "ML", ordered, missing, cluster, group, group_equal, se, bootstrap,
                    std_lv, meanstructure, started)


def _fit_ordered(model, data, estimator, ordered, missing, cluster, group, se, bootstrap, std_lv,
                 parameterization, started) -> SEMResults:
    estimator = estimator or "WLSMV"
    _check_choice("estimator", estimator, ESTIMATORS + ORDINAL_ESTIMATORS + PLANNED)
    if estimator not in ORDINAL_ESTIMATORS:
        raise ValueError(f"With ordered items the estimator must be one of {set(ORDINAL_ESTIMATORS)} (got "
                         f"{estimator!r}); to treat the codes as continuous with {estimator}, leave out 'ordered'.")
    _check_choice("missing", missing, ("listwise", "pairwise"))
    if cluster is not None or group is not None:
        raise ValueError("Ordered items with 'cluster' or 'group' are not available in this version; fit "
                         "without them, or treat the codes as continuous (estimator='MLR').")
    if bootstrap:
        raise ValueError("bootstrap is planned (bootstrap issue) and not available in this version.")
    if se not in (None, "robust.sem"):
        raise ValueError(f"The 'se' parameter of fit must be None or 'robust.sem' with ordered items. Got {se!r}.")
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of fit must be a pandas DataFrame. Got {type(data).__name__} instead.")
    levels = None
    if hasattr(model, "constructs"):  # an Instrument knows every code an item could take
        levels = {item.id: list(item.scale.codes) for c in model.constructs for item in c.items}
    return fit_ordinal(model_text(model), data, ordered, estimator, missing, parameterization, std_lv, started,
                       levels)


def _fit(model, data, estimator, ordered, missing, cluster, group, group_equal, se, bootstrap, std_lv,
         meanstructure, started) -> SEMResults:
    _check_choice("estimator", estimator, ESTIMATORS + ORDINAL_ESTIMATORS + PLANNED)
    if estimator in PLANNED:
        raise ValueError(f"estimator={estimator!r} is not available in this version; use one of "
                         f"{set(ESTIMATORS + ORDINAL_ESTIMATORS)}.")
    _check_choice("missing", missing, MISSING + ("fiml", "ml"))
    if missing != "listwise":
        raise ValueError("missing='fiml' is planned (FIML issue) and not available in this version; "
                         "use missing='listwise'.")
    if bootstrap:
        raise ValueError("bootstrap is planned (bootstrap issue) and not available in this version.")
    if se not in (None, "standard", "robust", "robust.huber.white", "robust.cluster"):
        raise ValueError(f"The 'se' parameter of fit must be one of {{None, 'standard', 'robust'}}. Got {se!r}.")
    syntax = model_text(model)
    robust = estimator == "MLR" or cluster is not None or (se is not None and se.startswith("robust"))
    if cluster is not None and cluster not in data.columns:
        raise ValueError(f"The 'cluster' parameter of fit names column {cluster!r}, which the data do not have.")
    if group is not None and group not in data.columns:
        raise ValueError(f"The 'group' parameter of fit names column {group!r}, which the data do not have.")
    if meanstructure is None:  # lavaan: means with clusters or groups, not for MLR alone
        meanstructure = cluster is not None or group is not None

    labels = [None] if group is None else list(pd.unique(data[group].dropna()))
    engine = CompiledModel(syntax, ngroups=len(labels), meanstructure=meanstructure, std_lv=std_lv,
                           group_equal=tuple(group_equal))
    columns = engine.observed
    x_all = numeric_block(data, columns)
    complete = ~np.isnan(x_all).any(axis=1)
    if cluster is not None:
        complete &= data[cluster].notna().to_numpy()
    dropped = int((~complete).sum())
    groups = []
    for label in labels:
        rows = complete if label is None else complete & (data[group] == label).to_numpy()
        x = x_all[rows]
        if len(x) <= len(columns):
            raise ValueError(f"Only {len(x)} complete rows{'' if label is None else f' in group {label!r}'} for "
                             f"{len(columns)} variables; the model cannot be estimated.")
        constant = [c for c, sd in zip(columns, x.std(axis=0)) if sd == 0]
        if constant:
            raise ValueError(f"Column(s) {constant} are constant{'' if label is None else f' in group {label!r}'}; "
                             "a constant cannot be modeled.")
        clusters = data.loc[rows, cluster].to_numpy() if cluster is not None else None
        groups.append(group_data(x, clusters))

    opt = engine.estimate(groups)
    results = _inference(engine, groups, opt, estimator, robust, cluster is not None, meanstructure)
    seconds = time.perf_counter() - started
    n_total = sum(d.n for d in groups)
    return SEMResults(
        params=results["params"], fit_measures=results["fit"], standardized=results["standardized"],
        nobs=n_total, n_dropped=dropped, estimator=estimator, converged=opt.converged, iterations=opt.iterations,
        seconds=seconds, syntax=syntax, group_labels=labels, warnings_=results["warnings"],
        se_type=results["se_type"], test_type=results["test_type"], engine=engine, theta=opt.theta,
        vcov=results["vcov"], data=groups,
    )


def _inference(engine, data, opt, estimator, robust, clustered, meanstructure) -> dict:
    models, theta = engine.models, opt.theta
    messages = []
    if not opt.converged:
        trouble.not_converged(opt.message, messages)
    n_total = sum(d.n for d in data)
    q = len(theta)

    # lavaan: expected information for ML, observed (Hessian) for the robust sandwich
    if robust:
        information = observed_information(models, data, theta, meanstructure)
    else:
        information = expected_information(models, data, theta, meanstructure)
    vcov = None
    try:
        eig = np.linalg.eigvalsh(information)
        if eig.min() <= 1e-10 * max(eig.max(), 1.0):
            raise np.linalg.LinAlgError
        info_inv = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        info_inv = None
        trouble.not_identified(messages)
    scores = casewise_scores(models, data, theta, meanstructure) if robust else None
    b0 = None
    if info_inv is not None:
        if robust:
            b0 = first_order_information(scores, data, clustered)
            vcov = info_inv @ b0 @ info_inv / n_total
            eig = np.linalg.eigvalsh(vcov)
            if eig.min() < 1e-12 * eig.max():
                # As lavaan warns: with fewer clusters than parameters the sandwich has low rank.
                text = ("the robust covariance matrix of the estimates is not positive definite"
                        + (f" ({len(np.unique(data[0].cluster))} clusters for {q} parameters)" if clustered else ""))
                messages.append(f"Note: {text}; standard errors of combinations of estimates may be unreliable.")
                warnings.warn(f"fit: {text}.", NotPositiveDefiniteWarning, stacklevel=4)
        else:
            vcov = info_inv / n_total

    table = engine.table
    values = engine.values(theta)
    se = np.full(len(table), np.nan)
    free = table.free.to_numpy()
    if vcov is not None:
        diag = np.sqrt(np.clip(np.diag(vcov), 0, None))
        se = np.where(free > 0, diag[np.maximum(free, 1) - 1], 0.0)
    defined = table.op.to_numpy() == ":="
    std_all = standardize(engine, theta, "std.all")
    std_lv = standardize(engine, theta, "std.lv")
    if defined.any():
        values[defined] = defined_values(engine, theta)
        std_all[defined] = defined_values(engine, theta, std=std_all)
        std_lv[defined] = defined_values(engine, theta, std=std_lv)
        if vcov is not None:
            se[defined] = delta_se(lambda t: defined_values(engine, t), theta, vcov)
    # standardized solution with delta-method standard errors (lavaan's standardizedSolution)
    std_se = np.full(len(table), np.nan)
    if vcov is not None:
        def all_std(t):
            s = standardize(engine, t, "std.all")
            if defined.any():
                s[defined] = defined_values(engine, t, std=s)
            return s
        batch = None if defined.any() else (lambda ts: standardize_batch(engine, ts, "std.all"))
        std_se = delta_se(all_std, theta, vcov, batch=batch)
        fixed_std = (free == 0) & ~defined
        std_se[fixed_std & (std_se < 1e-10)] = 0.0
    params, standardized = estimate_tables(table, values, se, (free > 0) | defined, std_lv, std_all, std_se)

    trouble.heywood(params, messages)

    implied = [m.implied(theta)[:2] for m in models]
    chisq = n_total * opt.fmin
    n_moments = sum(m.p * (m.p + 1) / 2 + (m.p if meanstructure else 0) for m in models)
    n_exo = (table.exo == 1).sum()
    df = n_moments - q - n_exo
    logl, unrestricted = fm.loglik(data, implied, meanstructure)
    exo_names = set(engine.names.ov_x)
    exo_index = [[i for i, v in enumerate(engine.names.ov) if v in exo_names] for _ in models]
    base_chisq, base_df = fm.baseline(data, exo_index)
    measures = fm.standard_measures(chisq=chisq, df=df, n=n_total, groups=len(models), npar=q, logl=logl,
                                    unrestricted_logl=unrestricted, baseline_chisq=base_chisq,
                                    baseline_df=base_df, srmr=fm.srmr_measures(data, implied, meanstructure))
    se_type, test_type = "standard", "standard"
    if robust and info_inv is not None and df > 0:
        se_type = "robust.cluster" if clustered else "robust.huber.white"
        test_type = "yuan.bentler.mplus"
        trace = trace_ugamma(models, data, theta, meanstructure, b0, info_inv, clustered)
        c = trace / df
        c_null = baseline_scaling(data, meanstructure, base_df, clustered)
        measures.update(fm.robust_measures(chisq=chisq, df=df, n=n_total, groups=len(models), c=c,
                                           trace_ugamma=trace, baseline_chisq=base_chisq, baseline_df=base_df,
                                           c_null=c_null))
    return {"params": params, "fit": measures, "standardized": standardized, "warnings": messages,
            "vcov": vcov, "se_type": se_type, "test_type": test_type}
