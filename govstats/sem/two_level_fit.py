"""Two-level SEM: ``fit(model_with_level_blocks, data, cluster=...)`` as lavaan 0.6.14's ``sem()``.

Pipeline: the syntax's two blocks -> one parameter table (:mod:`govstats.sem.two_level_model`);
the data -> cluster statistics and lavaan's EM estimate of the unrestricted model
(:mod:`govstats.sem.two_level`); the one optimizer on the two-level ML objective
(:mod:`govstats.sem.two_level_objective`); inference (:mod:`govstats.sem.two_level_inference`).

lavaan's defaults for two-level ML are followed: the observed information (numerical Hessian of the
log-likelihood) for the standard errors, fixed.x covariates at their sample moments (level-1
covariates at the total moments, level-2 ones at the moments of the cluster values), the
chi-square against lavaan's EM estimate of the unrestricted model. MLR adds sandwich standard
errors from cluster-level scores and the Yuan-Bentler (Mplus) scaled test.

With missing="fiml" (lavaan's missing="ml") blanks in level-1 variables are modeled (two-level FIML,
:mod:`govstats.sem.two_level_fiml`): ML with standard errors from the observed information, the
chi-square against lavaan's unrestricted model of the incomplete data; rows with a blank fixed.x
covariate are left out, as lavaan does.

Refused by name, never fitted wrongly: MLR, robust standard errors, scaled tests and the expected
information with missing="fiml" (lavaan 0.6.14 fails on MLR there), groups, ordered items, least-squares estimators, the bootstrap (lavaan refuses
it for two-level models too).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from govstats._threads import single_threaded
from govstats.errors import DataError
from govstats.sem import two_level as tl
from govstats.sem.fit import estimate
from govstats.sem.options import normalize_options
from govstats.sem.prepare import numeric_block
from govstats.sem.start import starting_values
from govstats.sem.statistics import Statistics
from govstats.sem.two_level_fiml import fiml_h1
from govstats.sem.two_level_inference import infer_two_level
from govstats.sem.two_level_missing import MissingClusterStatistics
from govstats.sem.two_level_results import TwoLevelResults
from govstats.sem.two_level_model import (TwoLevelModel, baseline_names, baseline_partable, split_levels,
                                           two_level_partable)

ESTIMATORS = ("ML", "MLR")


def two_level_options(estimator, ordered, missing, cluster, group, group_equal, group_partial, se, bootstrap, seed,
                      lavaan_options):
    """The options of a two-level fit, with lavaan's two-level defaults; the unavailable ones refused."""
    if cluster is None:
        raise ValueError("The model has 'level:' blocks (a two-level model), which need the 'cluster' parameter of "
                         "fit: the column of cluster (community) ids, e.g. fit(model, data, cluster='community_id').")
    name = (estimator or "ML").upper()
    if name not in ESTIMATORS:
        raise ValueError(f"The 'estimator' parameter of fit must be one of {list(ESTIMATORS)} for a two-level model "
                         f"('level:' blocks). Got {estimator!r} instead.")
    if ordered not in (None, False, [], ()):
        raise ValueError("Two-level models with ordered items are not available (nor in lavaan 0.6); fit the items "
                         "as continuous (leave out 'ordered').")
    if group is not None:
        raise ValueError("Two-level models with groups ('group' together with 'level:' blocks) are not available "
                         "in this version; fit each group separately.")
    if bootstrap or se == "bootstrap":
        raise ValueError("The bootstrap is not available for two-level models (lavaan refuses it too); use "
                         "estimator='MLR' for robust standard errors.")
    fiml = two_level_missing_option(missing)
    if fiml and name == "MLR":
        # lavaan 0.6.14 fits the model, then fails in its Yuan-Bentler test ("TEST[[test.idx]]$stat: $ operator
        # is invalid for atomic vectors"); with se="standard" too
        raise ValueError("estimator='MLR' is not available for two-level models with missing='fiml' (lavaan 0.6.14 "
                         "fails in its scaled test for them too); use estimator='ML' (standard errors from the "
                         "observed information), or missing='listwise'.")
    robust = name == "MLR"
    given = dict(lavaan_options)
    if not robust and str(given.get("test", "")).lower() in ("yuan.bentler.mplus", "yuan.bentler", "mlr", "yb"):
        # lavaan 0.6.14: "test must be one of none, standard or yuan.bentler in the multilevel case"
        raise ValueError("The 'test' parameter of fit cannot be a Yuan-Bentler test with estimator='ML' for a "
                         f"two-level model (lavaan refuses it too). Got {given['test']!r}; use estimator='MLR'.")
    information = given.pop("information", None) or "observed"  # lavaan's default for two-level ML
    test = given.pop("test", None) or ("yuan.bentler.mplus" if robust else "standard")
    se_value = se or ("robust.huber.white" if robust else "standard")
    options = normalize_options(estimator=name, cluster=None, group=None, group_equal=group_equal,
                                group_partial=group_partial, se=se_value, test=test, information=information,
                                seed=seed, missing="listwise", **given)
    if options.se not in ("standard", "robust.huber.white", "none"):
        raise ValueError(f"The 'se' parameter of fit must be one of ['standard', 'robust.huber.white', 'none'] for a "
                         f"two-level model. Got {se!r} instead.")
    if options.test not in ("standard", "yuan.bentler.mplus", "none"):
        raise ValueError(f"The 'test' parameter of fit must be 'standard' or 'yuan.bentler.mplus' for a two-level "
                         f"model. Got {options.test!r} instead.")
    if options.information not in ("observed", "expected"):
        raise ValueError(f"The 'information' parameter of fit must be 'observed' or 'expected' for a two-level "
                         f"model. Got {options.information!r} instead.")
    if options.meanstructure is False:
        raise ValueError("The 'meanstructure' parameter of fit cannot be False for a two-level model (lavaan fits "
                         "the means at the between level); leave it out.")
    if fiml and (options.se == "robust.huber.white" or options.test != "standard" and options.test != "none"
                 or options.information != "observed"):
        raise ValueError("With missing='fiml' a two-level model has the standard test and standard errors from the "
                         "observed information only (robust standard errors, scaled tests and the expected "
                         "information of two-level FIML are not available in this version); leave out 'se', 'test' "
                         "and 'information'.")
    if options.auxiliary or options.ci is not None:
        raise ValueError("auxiliary variables and Monte Carlo or bootstrap intervals are not available for two-level "
                         "models in this version.")
    return dataclasses.replace(options, cluster=cluster, meanstructure=True, missing="fiml" if fiml else "listwise")


def two_level_missing_option(missing) -> bool:
    """True for two-level FIML (lavaan's "ml", "fiml", "direct"), False for listwise deletion."""
    value = "listwise" if missing is None else str(missing).lower()
    if value in ("ml", "fiml", "direct"):
        return True
    if value in ("ml.x", "fiml.x", "direct.x"):
        raise ValueError(f"missing={missing!r} is not available for two-level models in this version (the covariates "
                         "would be modeled with their blanks); use missing='fiml', which leaves out rows with a blank "
                         "in a fixed.x covariate, as lavaan does.")
    if value != "listwise":
        raise ValueError(f"The 'missing' parameter of fit must be one of ['listwise', 'fiml'] for a two-level model. "
                         f"Got {missing!r} instead.")
    return False


def cluster_statistics(data: pd.DataFrame, model: TwoLevelModel, cluster: str, fixed_x: bool, fiml: bool = False):
    """(cluster statistics, rows left out, messages). Listwise: rows with a blank in a model variable
    or in the cluster column are left out. FIML (lavaan's missing="ml"): rows with a blank in the
    cluster column or in a fixed.x covariate are left out (lavaan deletes them with a warning), as
    are rows blank on every model variable; other blanks are modeled (a level-2-only variable blank
    in any row of a cluster is blank for the cluster, as lavaan's cluster means with na.rm = FALSE).
    Level-2-only variables must be constant within each cluster."""
    if cluster not in data.columns:
        raise ValueError(f"The 'cluster' parameter of fit names column {cluster!r}, which the data do not have.")
    within, between_only = model.within, model.between_only
    x_all = numeric_block(data, within + between_only)
    blank = np.isnan(x_all)
    has_cluster = data[cluster].notna().to_numpy()
    messages = []
    if fiml:
        covariates = set(model.level_names[0].ov_x) | set(model.level_names[1].ov_x) if fixed_x else set()
        columns = within + between_only
        x_cols = [k for k, c in enumerate(columns) if c in covariates]
        blank_x = blank[:, x_cols].any(axis=1) & has_cluster
        empty = blank.all(axis=1) & has_cluster & ~blank_x  # lavaan's empty cases: every model variable blank
        keep = has_cluster & ~blank_x & ~empty
        if blank_x.any():
            messages.append(f"{int(blank_x.sum())} row(s) with a blank in a fixed.x covariate were left out (as lavaan "
                            "does with missing='ml' and fixed.x=TRUE; fixed_x=False would model them).")
        if empty.any():
            messages.append(f"{int(empty.sum())} row(s) blank on every model variable were left out.")
    else:
        keep = ~blank.any(axis=1) & has_cluster
    if fiml and (~has_cluster).any():
        messages.append(f"{int((~has_cluster).sum())} row(s) with a blank in the cluster column {cluster!r} were left "
                        "out.")
    x = x_all[keep]
    ids = data[cluster].to_numpy()[keep]
    n_clusters = len(pd.unique(ids))
    if n_clusters < 2:
        raise DataError(f"The cluster column {cluster!r} has {n_clusters} cluster(s) among the rows used; a "
                        "two-level model needs many clusters (communities).")
    y, z = x[:, :len(within)], x[:, len(within):]
    constant = [c for c in within if np.nanstd(x[:, within.index(c)]) == 0]
    if constant:
        raise DataError(f"Column(s) {constant} are constant; a constant cannot be modeled.")
    if z.shape[1]:
        _, index = np.unique(ids, return_inverse=True)
        seen = ~np.isnan(z)  # with FIML, blanks: the check is over the values given
        sums = np.zeros((index.max() + 1, z.shape[1]))
        np.add.at(sums, index, np.where(seen, z, 0.0))
        counts = np.zeros_like(sums)
        np.add.at(counts, index, seen.astype(float))
        means = sums / np.maximum(counts, 1.0)
        spread = np.where(seen, np.abs(z - means[index]), 0.0).max(axis=0)
        size = np.where(seen, np.abs(z), 0.0).max(axis=0)
        varying = [c for c, s, v in zip(between_only, spread, size) if s > 1e-8 * max(1.0, float(v))]
        if varying:
            raise DataError(f"The level-2 variable(s) {varying} take different values within a cluster of "
                            f"{cluster!r}; a variable only in the 'level: 2' block describes the cluster (community) "
                            "and must be constant within it. Add it to 'level: 1' as well, or aggregate it.")
    within_x = [v for v in model.level_names[0].ov_x] if fixed_x else []
    between_x = [v for v in model.level_names[1].ov_x] if fixed_x else []
    if fiml and np.isnan(x).any():
        stats = MissingClusterStatistics.from_rows(y, z, ids, within, between_only, within_x, between_x)
    else:
        stats = tl.ClusterStatistics.from_rows(y, z, ids, within, between_only, within_x, between_x)
    if not fiml and (~keep).any():
        messages.append(f"Listwise deletion left out {int((~keep).sum())} row(s) with a blank in a model variable or "
                        f"in the cluster column {cluster!r} (missing='fiml' models the blanks instead).")
    return stats, int((~keep).sum()), messages


def fixed_moments(model: TwoLevelModel, stats: tl.ClusterStatistics):
    """Per level, (mean, covariance) over that level's variables: the values of fixed.x rows, as
    lavaan's start (level 1: the total moments of within-only covariates; level 2: the moments of
    the cluster vectors, divisor J)."""
    between_mean, between_cov = stats.between_moments()
    pos = model.between_position
    return [(stats.total_mean, stats.total_cov), (between_mean[pos], between_cov[np.ix_(pos, pos)])]


class _StartData:
    def __init__(self, mean, cov):
        self.mean, self.cov = mean, cov


def start_values_two_level(bound) -> np.ndarray:
    """Starting values per level from moment estimates: level 1 the pooled within covariance
    (total moments for within-only variables), level 2 the between covariance of the cluster
    means less the within part (variances kept positive), as lavaan's S.PW.start and Sigma.B."""
    model, stats = bound.model, bound.statistics.blocks[0]
    within_cov = stats.s_pw.copy()
    only = model.within_only
    within_cov[np.ix_(only, only)] = stats.total_cov[np.ix_(only, only)]
    mean, cov = stats.between_moments()
    pz = stats.p_z
    average = (stats.n - np.sum(stats.cluster_size ** 2) / stats.n) / (stats.n_clusters - 1)
    between = cov.copy()
    between[pz:, pz:] -= stats.s_pw / average
    floor = 0.05 * np.concatenate([np.diag(cov)[:pz], np.diag(stats.total_cov)])
    diag = np.maximum(np.diag(between), floor)
    np.fill_diagonal(between, diag)
    pos = model.between_position
    level_means = [stats.total_mean, mean[pos]]
    data = [_StartData(level_means[0], within_cov), _StartData(level_means[1], between[np.ix_(pos, pos)])]
    theta = starting_values(model.table, data, [model.level_names[0].ov, model.level_names[1].ov], model.n_free)
    table = model.table
    given = table[(table.free > 0) & table.ustart.notna()]
    theta[given.free.to_numpy() - 1] = given.ustart.to_numpy(dtype=float)  # start() modifiers
    return theta


def compile_two_level(syntax: str, data: pd.DataFrame, options, levels=None):
    """(TwoLevelModel, Statistics, the unrestricted model's EM estimate, fixed.x moments); ``levels``:
    the syntax already split (:func:`split_levels`)."""
    labels, level_formulas = split_levels(syntax) if levels is None else levels
    table, names = two_level_partable(level_formulas, std_lv=options.std_lv, fixed_x=options.fixed_x,
                                      orthogonal=options.orthogonal)
    model = TwoLevelModel(syntax, table, names, labels, [f for level in level_formulas for f in level])
    fiml = options.missing == "fiml"
    stats, dropped, messages = cluster_statistics(data, model, options.cluster, options.fixed_x, fiml)
    x_names = set(model.names.ov_x) if options.fixed_x else set()
    if stats.kind == "two_level_missing":
        statistics = Statistics(blocks=[stats], group_labels=[None], n_dropped=dropped, messages=messages)
        h1 = fiml_h1(model, statistics, fixed_x=bool(x_names))
        return model, statistics, h1, fixed_moments(model, stats)
    h1 = tl.em_h1(stats, model.within_only, fixed_x=bool(x_names))
    statistics = Statistics(blocks=[stats], group_labels=[None], n_dropped=dropped, messages=messages)
    return model, statistics, h1, fixed_moments(model, stats)


def fit_two_level(syntax: str, data: pd.DataFrame, started: float, *, estimator=None, ordered=None,
                  missing="listwise", cluster=None, group=None, group_equal=(), group_partial=(), se=None,
                  bootstrap=0, seed=None, lavaan_options=None) -> TwoLevelResults:
    """Estimate and infer a two-level model (called by :func:`govstats.fit` for syntax with ``level:``):
    the syntax is checked first, then the options, then the data.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from govstats import fit
    >>> rng = np.random.default_rng(1)
    >>> community = np.repeat(np.arange(60), 10)
    >>> factor = rng.normal(scale=0.6, size=60)[community] + rng.normal(size=600)
    >>> data = pd.DataFrame({f"y{k}": 0.8 * factor + rng.normal(scale=0.6, size=600) for k in (1, 2, 3)})
    >>> data["community"] = community
    >>> res = fit("level: 1\\n fw =~ y1 + y2 + y3\\nlevel: 2\\n fb =~ y1 + y2 + y3", data, cluster="community")
    >>> sorted(set(res.params.level))
    [1, 2]
    >>> res.icc.round(2).tolist()   # population ICC .64 * .36 / (.64 * 1.36 + .36) = .19; 60 communities
    [0.13, 0.14, 0.14]
    """
    levels = split_levels(syntax)
    options = two_level_options(estimator, ordered, missing, cluster, group, group_equal, group_partial, se,
                                bootstrap, seed, lavaan_options or {})
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of fit must be a pandas DataFrame. Got {type(data).__name__} instead.")
    with single_threaded():
        model, statistics, h1, moments = compile_two_level(syntax, data, options, levels)
        bound = model.bind(statistics, moments)
        start = start_values_two_level(bound)
        if model.n_free == 0:
            raise ValueError("The model has no free parameters (every value is fixed), so there is nothing to "
                             "estimate.")
        opt = estimate(bound, start)
        inference = infer_two_level(bound, opt, options, h1, fit_baseline(bound, h1))
        results = TwoLevelResults.from_estimate(bound, opt, options, inference,
                                                seconds=time.perf_counter() - started)
    level_columns(results, model)
    results.icc = pd.Series(tl.icc(h1, statistics.blocks[0]), index=model.within, name="icc")
    results.level_labels = list(model.level_labels)
    results.nclusters = statistics.blocks[0].n_clusters
    results.scaling_factors = inference.scaling_factors
    return results


def fit_baseline(bound, h1: tl.H1):
    """The two-level independence model on the same statistics: (bound model, optimum), started
    from the unrestricted model's variances and means (a few steps from its optimum)."""
    from govstats.sem.two_level_robust import h1_values

    model = bound.model
    fixed_x = bool(((model.table.exo == 1) & (model.table.free == 0)).any())
    table = baseline_partable(model.level_names, fixed_x)
    base = TwoLevelModel(model.syntax, table, baseline_names(model.level_names, fixed_x), model.level_labels, [])
    base_bound = base.bind(bound.statistics, bound.fixed_moments)
    start = h1_values(base, h1)[0]
    variances = ((table.op == "~~") & (table.lhs == table.rhs) & (table.free > 0)).to_numpy()
    k = table.free.to_numpy()[variances] - 1
    start[k] = np.maximum(start[k], 1e-3)  # a between variance the EM left near zero
    return base_bound, estimate(base_bound, start)


def level_columns(results: TwoLevelResults, model: TwoLevelModel) -> None:
    """The results tables with lavaan's levels: ``level`` 1/2 and ``group`` 1 (both 0 for := rows)."""
    params = results.params
    block = params.group.to_numpy()
    params["level"] = block
    params["group"] = np.where(block == 0, 0, 1)
    std = results.standardized
    std["group"] = params["group"].to_numpy()
    std.insert(std.columns.get_loc("group") + 1, "level", block)
