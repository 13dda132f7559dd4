"""``fit()``: options -> statistics -> compiled model -> estimate -> inference -> SEMResults.

One pipeline for every estimator: the statistics layer (:mod:`govstats.sem.statistics`)
holds what the data give, the model layer (:mod:`govstats.sem.model`) what the parameters
imply, an objective (:mod:`govstats.sem.objectives`) joins them for the one optimizer
(:mod:`govstats.sem.optimizer`), and :mod:`govstats.sem.inference` turns the estimate into
standard errors, tests and fit measures. :func:`refit` reuses a compiled model on new
statistics (bootstrap, power) without changing it.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd

from govstats._threads import single_threaded
from govstats.sem.auxiliary import auxiliary_syntax, check_auxiliary
from govstats.sem.constrained_fit import minimize_constrained
from govstats.sem.continuous_wls import WLS_ESTIMATORS, least_squares_statistics
from govstats.sem.esem import check_efa_fit, fit_rotated, has_efa
from govstats.sem.inference import infer
from govstats.sem.model import CompiledModel
from govstats.sem.objectives import objective_for
from govstats.sem.optimizer import Optimum, minimize
from govstats.sem.options import FitOptions, normalize_options
from govstats.sem.partable import variable_names
from govstats.sem.data_checks import check_latent_names
from govstats.sem.prepare import (missing_statistics, model_text, moment_statistics, ordinal_statistics,
                                  threshold_counts)
from govstats.sem.results import SEMResults
from govstats.sem.start import start_values
from govstats.sem.syntax import parse_model
from govstats.sem.two_level_model import has_levels


def fit(model, data: pd.DataFrame, estimator: str | None = None, ordered=None, missing: str = "listwise",
        cluster: str | None = None, group: str | None = None, group_equal=(), group_partial=(),
        se: str | None = None, bootstrap: int = 0, seed=None, **lavaan_options) -> SEMResults:
    """Fit a confirmatory factor or structural equation model, as lavaan's ``sem()``.

    Parameters
    ----------
    model : str or Instrument
        lavaan-style model syntax, or an instrument (its ``model_syntax()``; item columns
        are found by id, other columns ignored).
    data : DataFrame
        One row per respondent.
    estimator : {"ML", "MLR", "MLM", "MLMV", "MLMVS", "GLS", "WLS", "DWLS", "ULS", "WLSMV", "ULSMV"}, optional
        Maximum likelihood; MLR adds sandwich standard errors and the Yuan-Bentler (Mplus
        variant) scaled test, as lavaan's ``estimator = "MLR"``; MLM the robust.sem standard
        errors and the Satorra-Bentler scaled test, MLMV the same SEs with the scaled-shifted
        test, MLMVS with the mean-and-variance adjusted (Satterthwaite) test. GLS, WLS, DWLS and
        ULS fit continuous data by least squares, as lavaan's estimators of these names (exogenous
        covariates free by default, as lavaan's ``fixed.x = FALSE`` for them). WLSMV (the default with
        ``ordered``) and ULSMV fit ordered items through their thresholds and polychoric
        correlations, with robust SEs and the scaled-shifted test, as lavaan. Default: ML, or
        WLSMV when ``ordered`` is given.
    ordered : True or list of str, optional
        Treat the items as ordinal (Likert codes): True for every observed variable of the
        model but exogenous covariates, or their names; the model's other observed variables
        are continuous (means, variances, polyserial and Pearson correlations in stage 1), and
        continuous exogenous covariates are conditioned on (lavaan's ``conditional.x``).
    missing : {"listwise", "pairwise"}
        Rows with a blank are left out; with ordered items "pairwise" uses every row for the
        thresholds and correlations it can inform (lavaan's ``missing = "pairwise"``).
    cluster : str, optional
        Column of cluster ids (communities): cluster-robust standard errors and scaled test,
        as lavaan's ``cluster =`` for single-level models. With ``level: 1`` / ``level: 2``
        blocks in the model, a two-level SEM (ML or MLR; with ``missing="fiml"`` two-level FIML,
        ML; :mod:`govstats.sem.two_level_fit`).
    group, group_equal, group_partial
        Multiple-group models with lavaan's ``group.equal`` (``"loadings"``, ``"intercepts"``,
        ``"thresholds"``, ``"residuals"``, ``"lv.variances"``, ``"means"``, ``"regressions"``,
        ...) and ``group.partial`` (``"f=~x2"``, ``"x3~1"``, ``"x1|t2"``) constraints; ordered
        items with groups are multiple-group WLSMV as lavaan.
    se, bootstrap, seed
        lavaan's ``se`` (``"standard"``, ``"robust.huber.white"``, ``"robust.cluster"``,
        ``"robust.sem"``, ``"robust"``, ``"none"``, ``"bootstrap"``). ``bootstrap=N`` draws N
        resamples of respondents (of whole clusters with ``cluster``; within groups) and refits
        (:mod:`govstats.sem.bootstrap`), for every estimator (the test stays the estimator's);
        ``seed`` (an int or SeedSequence) makes the draws reproducible on any executor.
        ``ci`` sets the interval type of ``ci_lower``/``ci_upper``: ``"perc"`` (default),
        ``"bc"``, ``"bca"``, ``"norm"``, ``"basic"``; or ``"monte_carlo"`` without the bootstrap
        (semTools' ``monteCarloCI`` for := and standardized rows). ``executor`` and ``workers``
        choose where draws run (:func:`govstats.parallel.get_executor`; default every core).
    **lavaan_options
        lavaan's other options under their Python names: ``std_lv``, ``meanstructure``,
        ``parameterization`` (``"delta"``/``"theta"``), ``fixed_x``, ``orthogonal``,
        ``information``, ``test``; for exploratory SEM blocks (``efa("b1")*f1 + efa("b1")*f2 =~
        ...``, :mod:`govstats.sem.esem`) ``rotation`` (default ``"geomin"``), ``rotation_args``
        (lavaan's ``rotation.args``, e.g. ``{"geomin_epsilon": 0.01, "orthogonal": True}``) and
        ``rotation_se`` (``"bordered"``, ``"delta"``). An option lavaan has and govstats does not
        is an error naming it.

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
    >>> fit(**res.options, model="AU =~ AU1 + AU2 + AU3 + AU4", data=data).coef.equals(res.coef)
    True
    """
    started = time.perf_counter()
    # where bootstrap draws run (govstats.parallel): not a model option, the numbers do not depend on it
    executor, workers = lavaan_options.pop("executor", None), lavaan_options.pop("workers", None)
    syntax_text = model if isinstance(model, str) else model_text(model)
    if has_levels(syntax_text) and re.search(r"(^|[+\s*(])efa\s*\(", syntax_text):
        raise ValueError("exploratory SEM blocks (efa(\"...\")*) in two-level models ('level:' blocks) are not "
                         "available in this version.")
    if has_levels(syntax_text):  # 'level:' blocks: two-level SEM (govstats.sem.two_level_fit)
        from govstats.sem.two_level_fit import fit_two_level

        return fit_two_level(syntax_text, data, started, estimator=estimator, ordered=ordered, missing=missing,
                             cluster=cluster, group=group, group_equal=group_equal, group_partial=group_partial,
                             se=se, bootstrap=bootstrap, seed=seed, lavaan_options=lavaan_options)
    options = normalize_options(estimator=estimator, ordered=ordered, missing=missing, cluster=cluster,
                                group=group, group_equal=group_equal, group_partial=group_partial, se=se,
                                bootstrap=bootstrap, seed=seed, **lavaan_options)
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of fit must be a pandas DataFrame. Got {type(data).__name__} instead.")
    syntax = model_text(model)
    levels = None
    exclusions = {}
    if hasattr(model, "constructs"):  # an Instrument knows every code an item could take
        levels = {item.id: list(item.scale.codes) for c in model.constructs for item in c.items}
        # ... and what is no answer: declared missing codes blank, off-scale/no-consent rows out, counted
        from govstats.data.analysis_frame import analysis_frame

        frame = analysis_frame(model, data, [i.id for i in model.items if i.id in data.columns], "fit")
        data, exclusions = frame.data, frame.exclusions
    with single_threaded():
        compiled, statistics = compile_model(syntax, data, options, levels)
        bound = compiled.bind(statistics)
        start = start_values(bound)
        check_estimable(bound, start)
        opt = estimate(bound, start)
        inference = infer(bound, opt, options)
        unrotated = None
        if has_efa(compiled.formulas):  # exploratory SEM blocks: rotate, bordered SEs (govstats.sem.esem)
            unrotated = (bound, opt.theta)
            bound, opt, inference, _ = fit_rotated(compiled, bound, opt, options, inference)
        results = SEMResults.from_estimate(bound, opt, options, inference, seconds=time.perf_counter() - started)
        results._unrotated = unrotated
        if options.bootstrap:  # se="bootstrap" or test="bollen.stine": refits on resampled rows
            from govstats.sem.bootstrap import bootstrap_fit

            bootstrap_fit(results, syntax, data, options, levels, compiled, bound, opt, executor, workers)
        elif options.ci == "monte_carlo":
            from govstats.sem.monte_carlo import monte_carlo_tables

            monte_carlo_tables(results, options.seed)
    results.exclusions = exclusions
    if exclusions and (exclusions["n_used"] < exclusions["n_input"] or exclusions["declared_missing"]):
        from govstats.data.analysis_frame import exclusions_text

        results.warnings_.append(exclusions_text(exclusions))  # in summary() and to_json, never silent
    return results


def check_estimable(bound, start: np.ndarray) -> None:
    """What lavaan refuses before optimizing: nothing to estimate, or starting values (fixed values
    included) that imply a covariance matrix that is not positive definite."""
    if bound.model.n_free == 0:
        raise ValueError("The model has no free parameters (every value is fixed), so there is nothing to estimate; "
                         "free at least one parameter (e.g. write 'x ~~ x' instead of 'x ~~ 0.5*x').")
    if not np.isfinite(objective_for(bound).value(start)):
        raise ValueError("The model-implied covariance matrix at the starting values is not positive definite (lavaan: "
                         "'initial model-implied matrix (Sigma) is not positive definite'); check the fixed values "
                         "(a negative or zero variance, a correlation above 1) and any start() values.")


def compile_model(syntax: str, data: pd.DataFrame, options: FitOptions, levels: dict | None = None):
    """(CompiledModel, Statistics) for these data and options."""
    formulas = parse_model(syntax)
    if has_efa(formulas):
        check_efa_fit(formulas, options, 1 if options.group is None else 2)
    names = variable_names(formulas)
    if options.auxiliary:
        check_auxiliary(options.auxiliary, names, data.columns, options.fixed_x)
        syntax = auxiliary_syntax(syntax, list(names.ov), options.auxiliary)
        formulas = parse_model(syntax)
        names = variable_names(formulas)
    check_latent_names(formulas, names.lv, data.columns)
    if options.ordered is None:
        if options.missing in ("fiml", "fiml.x"):
            # lavaan's missing="ml" conditions on fixed.x covariates: rows with a blank one are left out
            covariates = tuple(names.ov_x) if options.fixed_x else ()
            complete, at_h1 = (covariates, ()) if options.missing == "fiml" else ((), covariates)
            statistics = missing_statistics(data, list(names.ov), options.group, options.cluster, complete, at_h1)
        else:
            statistics = moment_statistics(data, list(names.ov), options.group, options.cluster)
            total = statistics.ntotal + statistics.n_dropped
            if statistics.n_dropped > 0.05 * total:
                statistics.messages.append(
                    f"Listwise deletion left out {statistics.n_dropped} of {total} rows "
                    f"({100 * statistics.n_dropped / total:.0f}%) for blanks; missing='fiml' (--missing fiml) uses "
                    "every answer and is unbiased when blanks depend on observed answers (MAR).")
        meanstructure = options.meanstructure
        if meanstructure is None:  # lavaan: means with clusters or groups, not for MLR alone
            meanstructure = options.cluster is not None or options.group is not None
        least_squares = options.estimator in WLS_ESTIMATORS
        compiled = CompiledModel(syntax, ngroups=statistics.ngroups, meanstructure=meanstructure,
                                 std_lv=options.std_lv, fixed_x=options.fixed_x, orthogonal=options.orthogonal,
                                 group_equal=options.group_equal, group_partial=options.group_partial,
                                 least_squares=least_squares, formulas=formulas,
                                 orthogonal_efa=options.rotation_settings["orthogonal"],
                                 reorder_covariances=not options.auxiliary)
        if least_squares:
            # exogenous covariates: their moments are among the statistics (lavaan's conditional.x is FALSE
            # for continuous data); fixed_x (default False for these estimators) fixes them at the sample's
            exo = [i for i, v in enumerate(names.ov) if v in set(names.ov_x)] if options.fixed_x else []
            statistics.blocks = [least_squares_statistics(b, options.estimator, compiled.meanstructure, exo)
                                 for b in statistics.blocks]
        return compiled, statistics
    items, numeric, covariates = ordered_items(names, options.ordered)
    statistics = ordinal_statistics(data, items, numeric, covariates, list(names.ov), options.estimator,
                                    options.missing, options.group, levels)
    compiled = CompiledModel(syntax, ngroups=statistics.ngroups, std_lv=options.std_lv,
                             orthogonal=options.orthogonal, group_equal=options.group_equal,
                             group_partial=options.group_partial, thresholds=threshold_counts(statistics),
                             stat_names=[b.names for b in statistics.blocks],
                             parameterization=options.parameterization, formulas=formulas,
                             orthogonal_efa=options.rotation_settings["orthogonal"])
    return compiled, statistics


def ordered_items(names, ordered) -> tuple[list[str], list[str], list[str]]:
    """(outcome variables, those of them that are continuous, exogenous covariates) of the model,
    from ``ordered``: True for every observed variable but the exogenous covariates (lavaan's
    ``ordered = TRUE``), or names. Covariates are conditioned on, as lavaan's default
    ``conditional.x`` for ordered data, and must be continuous (or dummy-coded)."""
    covariates = list(names.ov_x)
    outcomes = [v for v in names.ov if v not in covariates]
    if ordered is True:
        return outcomes, [], covariates
    listed = set(ordered)
    numeric = [v for v in outcomes if v not in listed]
    if len(numeric) == len(outcomes):
        raise ValueError(f"None of the model's variables is in 'ordered' ({sorted(listed)[:10]}); name the "
                         "ordered items, or leave out 'ordered' to treat every variable as continuous.")
    ordered_x = [v for v in covariates if v in listed]
    if ordered_x:
        raise ValueError(f"The exogenous covariate(s) {ordered_x} are in 'ordered'; as in lavaan, covariates are "
                         "conditioned on and must be continuous (or dummy-coded): leave them out of 'ordered'.")
    return outcomes, numeric, covariates


def refit(compiled: CompiledModel, statistics, start: np.ndarray | Optimum | None = None,
          tol: float = 1e-9) -> Optimum:
    """Estimates only: the compiled model on new statistics, warm-started from ``start``; ``tol`` is
    the optimizer's (a bootstrap draw's need not be the fit's: govstats.sem.bootstrap.DRAW_TOLERANCE).

    ``start`` is a parameter vector, or an earlier :class:`Optimum` (its estimates, and its
    curvature when it has one: then BFGS steps without scoring steps). The compiled model is not changed,
    so one model serves every bootstrap draw or power replication; BLAS runs single-threaded
    inside (measured: 70x faster on these small matrices).
    """
    with single_threaded():
        bound = compiled.bind(statistics)
        if isinstance(start, Optimum):
            return estimate(bound, start.theta, start.inverse_hessian, tol)
        return estimate(bound, start_values(bound) if start is None else start, tol=tol)


def estimate(bound, start: np.ndarray, inverse_hessian: np.ndarray | None = None, tol: float = 1e-9) -> Optimum:
    """The optimizer on a bound model's objective; under explicit constraints see
    :mod:`govstats.sem.constrained_fit` (with linear ones the Optimum's inverse Hessian is that of
    the reduced parameters x, theta = theta_p + K x)."""
    objective = objective_for(bound)
    if bound.model.constraints is None:
        return minimize(objective, start, inverse_hessian=inverse_hessian, tol=tol)
    return minimize_constrained(objective, start, bound.model.constraints, inverse_hessian, tol)
