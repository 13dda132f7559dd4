"""normalize_options(): fit()'s options resolved and checked once, as lavaan's lav_options_set.

Each row of the tables below is one combination from the options issue; the comment beside a
row says what lavaan 0.6.14 does with it (checked with ``lavInspect(fit, "options")`` after
``cfa()`` on HolzingerSwineford1939). Where lavaan silently ignores or replaces an option,
fit() refuses it instead.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from govstats.sem.options import LAVAAN_DEFAULTS, LAVAAN_ONLY_OPTIONS, OPTION_NAMES, FitOptions, normalize_options

# ---------------------------------------------------------------------------------------
# kwargs -> the fields they resolve to

RESOLVED = [
    # estimator: default ML, WLSMV with ordered; case-insensitive; lavaan's "default"
    (dict(), dict(estimator="ML", se="standard", test="standard", information="expected", meanstructure=None,
                  missing="listwise", parameterization="delta", fixed_x=True, ordered=None)),
    (dict(estimator="ml"), dict(estimator="ML")),
    (dict(estimator="default"), dict(estimator="ML")),
    # FIML (lavInspect(fit, "options") with missing = "ml", lavaan 0.6.14): observed information, means
    (dict(missing="ml"), dict(missing="fiml", se="standard", test="standard", information="observed",
                              meanstructure=True)),
    (dict(missing="direct", estimator="MLR"), dict(missing="fiml", se="robust.huber.white",
                                                   test="yuan.bentler.mplus", information="observed")),
    (dict(missing="ml.x"), dict(missing="fiml.x", meanstructure=True, fixed_x=True)),
    (dict(missing="fiml", se="robust"), dict(se="robust.huber.white")),  # lavaan: robust.sem without FIML
    (dict(missing="fiml", information="expected"), dict(information="expected")),
    (dict(estimator="mlr"), dict(estimator="MLR", se="robust.huber.white", test="yuan.bentler.mplus",
                                 information="observed")),
    # MLM = ML with robust.sem SEs and the Satorra-Bentler test (lavInspect(fit, "options"), lavaan 0.6.14)
    (dict(estimator="mlm"), dict(estimator="MLM", se="robust.sem", test="satorra.bentler", information="expected")),
    (dict(estimator="MLM", se="standard"), dict(se="standard", test="satorra.bentler")),
    (dict(estimator="MLM", test="standard"), dict(se="robust.sem", test="satorra.bentler")),  # lavaan: both tests
    (dict(se="robust"), dict(estimator="ML", se="robust.sem", test="standard")),  # lavaan: robust -> robust.sem
    (dict(se="robust.mlm"), dict(se="robust.sem")),  # lavaan alias
    (dict(estimator="MLR", se="robust"), dict(se="robust.sem", test="yuan.bentler.mplus", information="expected")),
    (dict(test="sb"), dict(estimator="ML", se="standard", test="satorra.bentler")),
    # GLS, WLS, DWLS, ULS on continuous data: standard SEs and test, expected information (lavaan 0.6.14)
    # (and lavaan's fixed.x default FALSE for them; TRUE for the ML family and ordered items)
    *[(dict(estimator=e.lower()), dict(estimator=e, se="standard", test="standard", information="expected",
                                       fixed_x=False))
      for e in ("GLS", "WLS", "DWLS", "ULS")],
    (dict(estimator="ULS", fixed_x=True), dict(fixed_x=True)),
    # MLMV = ML, robust.sem, scaled.shifted; MLMVS the same with mean.var.adjusted (lavInspect, lavaan 0.6.14)
    (dict(estimator="mlmv"), dict(estimator="MLMV", se="robust.sem", test="scaled.shifted", information="expected",
                                  fixed_x=True)),
    (dict(estimator="MLMVS"), dict(estimator="MLMVS", se="robust.sem", test="mean.var.adjusted",
                                   information="expected")),
    (dict(estimator="MLMV", test="standard"), dict(test="scaled.shifted")),  # lavaan: both, standard first
    (dict(estimator="MLMV", se="standard"), dict(se="standard", test="scaled.shifted")),
    (dict(estimator="MLMVS", se="robust"), dict(se="robust.sem")),
    (dict(test="scaled.shifted"), dict(estimator="ML", se="standard", test="scaled.shifted")),  # lavaan: + standard
    (dict(test="mv"), dict(estimator="ML", se="standard", test="mean.var.adjusted")),
    (dict(se="robust.sem", test="mean.var.adjusted"), dict(se="robust.sem", test="mean.var.adjusted")),
    (dict(ordered=True), dict(estimator="WLSMV", ordered=True, se="robust.sem", test="scaled.shifted",
                              information="expected", meanstructure=True)),
    (dict(ordered=["q1", "q2", "q1"]), dict(estimator="WLSMV", ordered=("q1", "q2"))),
    (dict(ordered="q1"), dict(ordered=("q1",))),
    (dict(ordered={"q2", "q1"}), dict(ordered=("q1", "q2"))),
    (dict(ordered=np.bool_(True)), dict(ordered=True)),
    (dict(ordered=False), dict(ordered=None, estimator="ML")),  # lavaan: ordered=FALSE -> ML
    (dict(ordered=[]), dict(ordered=None, estimator="ML")),  # lavaan: ordered=character(0) -> ML
    (dict(ordered=True, estimator="ulsmv"), dict(estimator="ULSMV", se="robust.sem", test="scaled.shifted")),
    # se: lavaan's aliases and its defaults per estimator
    (dict(se="standard"), dict(se="standard")),
    (dict(se="none"), dict(se="none", test="standard", information="expected")),
    (dict(se="robust.huber.white"), dict(se="robust.huber.white", test="standard", information="observed")),
    (dict(se="sandwich"), dict(se="robust.huber.white")),  # lavaan alias
    (dict(se="robust.mlr"), dict(se="robust.huber.white")),  # lavaan alias
    (dict(se="Robust.Huber.White"), dict(se="robust.huber.white")),  # lavaan lower-cases
    (dict(se="observed"), dict(se="standard", information="observed")),  # lavaan: se=observed
    (dict(se="first.order"), dict(se="standard", information="first.order")),
    (dict(se="expected", information="expected"), dict(se="standard", information="expected")),
    # MLR with other SEs: lavaan keeps MLR's scaled test; the information follows the SEs
    (dict(estimator="MLR", se="standard"), dict(se="standard", test="yuan.bentler.mplus", information="expected")),
    (dict(estimator="MLR", se="none"), dict(se="none", test="yuan.bentler.mplus", information="expected")),
    (dict(estimator="MLR", se="observed"), dict(se="standard", test="yuan.bentler.mplus", information="observed")),
    (dict(estimator="MLR", information="expected"), dict(se="robust.huber.white", information="expected")),
    # test: ML may add the Yuan-Bentler test (lavaan: union("standard", test)); aliases
    (dict(test="yuan.bentler.mplus"), dict(se="standard", test="yuan.bentler.mplus", information="expected")),
    (dict(test="Yuan-Bentler-Mplus"), dict(test="yuan.bentler.mplus")),
    (dict(test="chisq"), dict(test="standard")),
    (dict(se="robust.huber.white", test="yuan.bentler.mplus"), dict(information="observed")),
    (dict(estimator="MLR", test="yuan.bentler.mplus"), dict(test="yuan.bentler.mplus")),
    # WLSMV: test="standard" is lavaan's ("scaled.shifted", "standard"), the same statistics
    (dict(ordered=True, test="standard"), dict(test="scaled.shifted")),
    (dict(ordered=True, test="mplus6"), dict(test="scaled.shifted")),
    (dict(ordered=True, se="robust"), dict(se="robust.sem")),  # lavaan: robust -> robust.sem
    (dict(ordered=True, se="robust.sem"), dict(se="robust.sem")),
    (dict(ordered=True, se="none"), dict(se="none", test="scaled.shifted")),
    (dict(ordered=True, information="expected"), dict(information="expected")),
    # cluster: lavaan forces the mean structure; ML and MLR give cluster-robust SEs and the Y-B test
    (dict(cluster="community"), dict(se="robust.cluster", test="yuan.bentler.mplus", information="observed",
                                     meanstructure=True)),
    (dict(cluster="community", estimator="MLR"), dict(se="robust.cluster", test="yuan.bentler.mplus",
                                                      information="observed", meanstructure=True)),
    (dict(cluster="community", se="robust"), dict(se="robust.cluster")),  # lavaan: robust -> robust.cluster
    (dict(cluster="community", estimator="MLR", se="robust"), dict(se="robust.cluster")),
    (dict(cluster="community", se="robust.cluster"), dict(se="robust.cluster")),
    (dict(cluster="community", se="none"), dict(se="none", test="yuan.bentler.mplus", information="expected")),
    (dict(cluster="community", test="standard"), dict(se="robust.cluster", test="standard")),  # lavaan: ok
    (dict(cluster="community", information="expected"), dict(se="robust.cluster", information="expected")),
    (dict(cluster="community", meanstructure=True), dict(meanstructure=True)),
    (dict(cluster="community", group="region"), dict(se="robust.cluster", group="region")),
    # information
    (dict(information="observed"), dict(se="standard", information="observed")),
    (dict(information="Expected"), dict(information="expected")),
    (dict(information="first.order"), dict(se="standard", test="standard", information="first.order")),
    (dict(se="none", information="first.order"), dict(information="first.order")),
    # missing
    (dict(missing="listwise"), dict(missing="listwise")),
    (dict(missing="default"), dict(missing="listwise")),
    (dict(ordered=True, missing="pairwise"), dict(missing="pairwise")),
    (dict(ordered=True, missing="PAIRWISE"), dict(missing="pairwise")),
    # groups: strings or lists, lower-cased, "none"; intercepts/means force the mean structure;
    # with ordered items intercepts and thresholds come together (lavaan)
    (dict(group="region"), dict(group="region", group_equal=(), meanstructure=None)),
    (dict(group="region", meanstructure=False), dict(meanstructure=False)),  # lavaan allows it
    (dict(group="region", group_equal="loadings"), dict(group_equal=("loadings",))),
    (dict(group="region", group_equal=["Loadings", "loadings", "regressions"]),
     dict(group_equal=("loadings", "regressions"))),
    (dict(group="region", group_equal="none"), dict(group_equal=())),
    (dict(group_equal=()), dict(group_equal=())),
    (dict(group_equal=[]), dict(group_equal=())),
    (dict(group="region", group_equal=["loadings", "intercepts"]),
     dict(group_equal=("loadings", "intercepts"), meanstructure=True)),
    (dict(group="region", group_equal="means"), dict(meanstructure=True)),
    (dict(group="region", group_equal=list(("loadings", "intercepts", "means", "regressions", "residuals",
                                            "residual.covariances", "lv.variances", "lv.covariances"))),
     dict(meanstructure=True)),
    (dict(ordered=True, group="region"), dict(estimator="WLSMV", group="region")),  # multi-group WLSMV
    (dict(ordered=True, group="region", group_equal="thresholds"), dict(group_equal=("thresholds", "intercepts"))),
    (dict(ordered=True, group="region", group_equal=["loadings", "intercepts"]),
     dict(group_equal=("loadings", "intercepts", "thresholds"))),
    (dict(group="region", group_equal="loadings", group_partial="f1 =~ x2"), dict(group_partial=("f1=~x2",))),
    (dict(group="region", group_equal="intercepts", group_partial=["x1~1", " x1 ~ 1"]), dict(group_partial=("x1~1",))),
    (dict(group="region", group_equal="regressions", group_partial="y~x"), dict(group_partial=("y~x",))),
    (dict(group="region", group_equal="residuals", group_partial="x1~~x1"), dict(group_partial=("x1~~x1",))),
    (dict(group="region", group_equal="lv.covariances", group_partial="f1~~f2"), dict(group_partial=("f1~~f2",))),
    (dict(ordered=True, group="region", group_equal="thresholds", group_partial="x1|t2"),
     dict(group_partial=("x1|t2",))),
    (dict(group="region", group_equal="loadings", group_partial="f1=~t1"), dict(group_partial=("f1=~t1",))),
    (dict(group="region", group_equal="loadings", group_partial="F.one=~item.2"),
     dict(group_partial=("F.one=~item.2",))),
    # parameterization
    (dict(ordered=True, parameterization="theta"), dict(parameterization="theta")),
    (dict(ordered=True, parameterization="THETA"), dict(parameterization="theta")),
    (dict(parameterization="delta"), dict(parameterization="delta")),  # fit()'s default, harmless
    (dict(parameterization="default"), dict(parameterization="delta")),
    # meanstructure: lavaan forces it with ordered items; True is what they use
    (dict(ordered=True, meanstructure=True), dict(meanstructure=True)),
    (dict(meanstructure=True), dict(meanstructure=True)),
    (dict(meanstructure=False), dict(meanstructure=False)),
    (dict(meanstructure="default"), dict(meanstructure=None)),
    # booleans and counts
    (dict(std_lv=True, orthogonal=True, fixed_x=False), dict(std_lv=True, orthogonal=True, fixed_x=False)),
    (dict(std_lv=np.bool_(True)), dict(std_lv=True)),
    (dict(bootstrap=0, seed=None), dict(bootstrap=0, seed=None)),
    (dict(bootstrap=np.int64(0)), dict(bootstrap=0)),
    (dict(ordered=True, fixed_x=True), dict(fixed_x=True)),
]


def _stable_id(kwargs: dict) -> str:
    # a set prints in hash order, which differs between processes (pytest-xdist collects in each)
    return str({k: sorted(v) if isinstance(v, (set, frozenset)) else v for k, v in kwargs.items()})


@pytest.mark.parametrize("kwargs, expected", RESOLVED, ids=[_stable_id(k) for k, _ in RESOLVED])
def test_resolved_fields(kwargs, expected):
    opts = normalize_options(**kwargs)
    got = {key: getattr(opts, key) for key in expected}
    assert got == expected


@pytest.mark.parametrize("kwargs", [k for k, _ in RESOLVED], ids=[_stable_id(k) for k, _ in RESOLVED])
def test_to_dict_round_trips_through_json(kwargs):
    opts = normalize_options(**kwargs)
    d = opts.to_dict()
    assert list(d) == list(OPTION_NAMES)  # fit()'s parameter names
    assert normalize_options(**d) == opts
    assert normalize_options(**json.loads(json.dumps(d))) == opts


# ---------------------------------------------------------------------------------------
# kwargs -> the ValueError they raise (a substring of its message)

ERRORS = [
    # estimators lavaan has and fit() lacks, unknown ones, and estimator/ordered mismatches
    (dict(estimator="XYZ"), "'estimator' parameter of fit must be one of {'ML', 'MLR', 'MLM', 'MLMV', 'MLMVS', 'GLS', "
                            "'WLS', 'DWLS', 'ULS', 'WLSMV', 'ULSMV'}"),
    (dict(estimator="LS"), "'estimator' parameter"),
    *[(dict(estimator=e), f"estimator='{e}' ({e.upper()}) is not available in this version")
      for e in ("MLF", "PML", "MML", "Bayes", "IV", "2SLS",
                "wlsm", "catML", "none")],
    (dict(estimator="PML"), "'ML', 'MLR'"),
    # lavaan 0.6.14 refuses least squares with cluster: 'information = "first.order" not available for
    # estimator ULS' (ULS, DWLS), 'invalid value(s) in test= argument when estimator is GLS' (GLS, WLS)
    *[(dict(estimator=e, cluster="c"), f"estimator='{e}' with 'cluster' is refused, as lavaan 0.6.14 refuses it")
      for e in ("GLS", "WLS", "DWLS", "ULS")],
    # MLMV / MLMVS: lavaan accepts robust.huber.white (observed information), not computed here
    (dict(estimator="MLMV", se="robust.huber.white"), "with estimator='MLMV' in this version"),
    (dict(estimator="MLMVS", test="satorra.bentler"), "not available with estimator MLMVS"),  # lavaan: adds it
    (dict(estimator="MLMV", test="mean.var.adjusted"), "not available with estimator MLMV"),  # lavaan: adds it
    (dict(estimator="MLMV", information="observed"), "cannot be 'observed' with MLM-type"),  # lavaan: observed h1
    (dict(test="mean.var.adjusted", information="observed"), "cannot be 'observed' with MLM-type"),
    (dict(estimator="MLMV", cluster="c"), "with 'cluster' is refused"),  # lavaan: robust.cluster SEs + Y-B test
    (dict(test="scaled.shifted", cluster="c"), "in the clustered case"),  # lavaan: error, the same reason
    (dict(estimator="MLMVS", missing="ml"), "cannot be combined with missing='fiml'"),
    (dict(missing="ml", test="scaled.shifted"), "need complete data"),
    (dict(estimator="MLMV", ordered=True), "With ordered items the estimator must be one of"),
    (dict(estimator="MLR", test="scaled.shifted"), "not available with estimator MLR"),  # lavaan: a third test
    (dict(estimator="MLM", test="mean.var.adjusted"), "not available with estimator MLM"),
    (dict(estimator="ULS", se="robust.sem"), "with estimator='ULS'"),  # lavaan: robust.sem; not computed here
    (dict(estimator="DWLS", test="satorra.bentler"), "not available with estimator DWLS"),
    (dict(estimator="WLS", information="observed"), "must be 'expected' with estimator='WLS'"),
    (dict(estimator=3), "'estimator' parameter of fit must be a string"),
    (dict(estimator="ML", ordered=True), "leave out 'ordered'"),  # lavaan: ML for ordered data not supported
    (dict(estimator="MLR", ordered=["q1"]), "With ordered items the estimator must be one of"),
    (dict(estimator="WLSMV"), "pass ordered=True"),  # lavaan fits continuous WLSMV; not this version
    (dict(estimator="ulsmv"), "for ordered items"),
    # se
    (dict(se="xyz"), "The 'se' parameter of fit must be one of {'standard', 'robust.huber.white'"),
    (dict(se=1), "The 'se' parameter of fit must be a string"),
    (dict(estimator="MLM", cluster="c"), "robust.cluster.sem) are not available"),  # lavaan: robust.cluster.sem
    (dict(se="robust.sem", cluster="c"), "robust.cluster.sem) are not available"),
    (dict(estimator="MLM", se="robust.huber.white"), "with estimator='MLM'"),
    (dict(estimator="MLM", information="observed"), "cannot be 'observed' with MLM-type"),  # lavaan: observed h1
    (dict(test="satorra.bentler", information="observed"), "cannot be 'observed' with MLM-type"),
    (dict(estimator="MLM", test="yuan.bentler.mplus"), "not available with estimator MLM"),
    (dict(se="robust.cluster"), "'robust.cluster', which needs the 'cluster' parameter"),  # lavaan: silently other SEs
    (dict(estimator="MLR", se="robust.cluster"), "needs the 'cluster' parameter"),
    (dict(se="external"), "se='external' is not available in this version"),
    (dict(se="two.stage"), "not available in this version"),
    (dict(se="robust.cluster.sem", cluster="c"), "not available in this version"),
    (dict(cluster="c", se="standard"), "must be one of {'robust.cluster', 'none'} with 'cluster'"),  # lavaan: error
    (dict(cluster="c", se="robust.huber.white"), "with 'cluster'"),  # lavaan: error
    (dict(cluster="c", estimator="MLR", se="standard"), "silently replaces it by 'robust.cluster'"),  # lavaan: yes
    (dict(cluster="c", estimator="MLR", se="none"), "silently replaces it by 'robust.cluster'"),  # lavaan: yes
    (dict(cluster="c", estimator="MLR", se="robust.huber.white"), "'se' parameter of fit is 'robust.huber.white'"),
    (dict(ordered=True, se="robust.huber.white"), "'se' parameter of fit cannot be 'robust.huber.white' with "
                                                  "estimator WLSMV"),  # lavaan: invalid se for WLSMV
    (dict(ordered=True, se="standard"), "non-robust DWLS/ULS standard errors are not available"),
    (dict(ordered=True, se="robust.cluster"), "'se' parameter of fit cannot be 'robust.cluster'"),
    (dict(ordered=True, se="observed"), "'se' parameter of fit cannot be 'observed' with estimator WLSMV"),
    (dict(ordered=True, se="robust.mlr"), "cannot be 'robust.mlr' with estimator WLSMV (nor in lavaan)"),
    (dict(cluster="c", se="observed"), "with 'cluster' (as in lavaan). Got 'observed' instead."),
    (dict(se="observed", information="expected"), "lavaan's shorthand for se='standard', information='observed'"),
    # test
    (dict(test="xyz"), "The 'test' parameter of fit must be one of {'standard', 'satorra.bentler', "
                       "'yuan.bentler.mplus', 'scaled.shifted', 'mean.var.adjusted'}. Got 'xyz' instead."),
    (dict(test=["standard"]), "'test' parameter of fit must be a string"),
    (dict(estimator="MLR", test="standard"), "cannot be 'standard' with estimator='MLR'"),  # lavaan: a different Y-B
    (dict(estimator="MLR", test="satorra.bentler"), "'satorra.bentler', which is not available with estimator MLR"),
    (dict(test="yuan.bentler"), "not available with estimator ML"),
    (dict(test="browne.residual.adf"), "not available with estimator ML"),
    (dict(test="none"), "test='none' is not available in this version"),
    (dict(ordered=True, test="none"), "test='none' with estimator WLSMV is not available"),
    (dict(ordered=True, test="mean.var.adjusted"), "'mean.var.adjusted', which is not available with estimator WLSMV"),
    (dict(ordered=True, test="yuan.bentler.mplus"), "not available with estimator WLSMV"),
    (dict(cluster="c", estimator="MLR", test="standard"), "silently replaces it by 'yuan.bentler.mplus'"),
    (dict(cluster="c", test="satorra.bentler"), "robust.cluster.sem) are not available"),
    # information
    (dict(information="xyz"), "The 'information' parameter of fit must be one of {'expected', 'observed', "
                              "'first.order'}. Got 'xyz' instead."),
    (dict(estimator="MLR", information="first.order"), "with se='robust.huber.white' (robust standard errors)"),
    (dict(se="robust.huber.white", information="first.order"), "robust standard errors"),
    (dict(cluster="c", information="first.order"), "with se='robust.cluster'"),
    (dict(test="yuan.bentler.mplus", information="first.order"), "(a robust test)"),  # lavaan: error
    (dict(estimator="MLR", se="standard", information="first.order"), "(a robust test)"),
    (dict(ordered=True, information="observed"), "must be 'expected' with estimator WLSMV"),  # lavaan: warns
    (dict(ordered=True, information="first.order"), "must be 'expected' with estimator WLSMV"),
    # group_equal / group_partial
    (dict(group_equal="loadings"), "'group_equal' parameter of fit (['loadings']) needs the 'group' parameter"),
    (dict(group_equal=["loadings", "intercepts"]), "needs the 'group' parameter"),  # lavaan: ignored
    (dict(group="g", group_equal="bogus"), "'group_equal' parameter of fit must name some of {'loadings'"),
    (dict(group="g", group_equal="composite.loadings"),
     "group_equal='composite.loadings' (lavaan's composites) is not available"),
    (dict(group="g", group_equal="thresholds"), "names 'thresholds', which only ordered items have"),  # lavaan: ignored
    (dict(group="g", group_equal=3), "'group_equal' parameter of fit must be a string or a list of strings"),
    (dict(group="g", group_equal=["loadings", 3]), "Got 3 in it"),
    (dict(group="g", group_equal="intercepts", meanstructure=False), "cannot be False with group_equal"),
    (dict(group="g", group_equal="means", meanstructure=False), "lavaan silently sets meanstructure=TRUE"),
    (dict(group_partial="f1=~x2"), "'group_partial' parameter of fit (['f1=~x2']) needs the 'group'"),
    (dict(group="g", group_partial="f1=~x2"), "constrains no such parameter"),  # lavaan: ignored
    (dict(group="g", group_equal="loadings", group_partial="x1~1"), "would need one of {'intercepts', 'means'}"),
    (dict(group="g", group_equal="loadings", group_partial="f1=~x2+x3"), "must list single parameters"),
    (dict(group="g", group_equal="loadings", group_partial="f1 x2"), "Got 'f1x2' instead"),
    (dict(group="g", group_equal="loadings", group_partial="f1=~"), "must list single parameters"),
    (dict(group="g", group_equal="loadings", group_partial="f1=~1"), "must list single parameters"),
    (dict(group="g", group_equal="thresholds", ordered=True, group_partial="x1|2"), "must list single parameters"),
    (dict(group="g", group_equal="regressions", group_partial="y|t1"), "would need one of {'thresholds'}"),
    (dict(group="g", group_equal="loadings", group_partial=[1]), "'group_partial' parameter of fit must be"),
    # parameterization
    (dict(parameterization="theta"), "The 'parameterization' parameter of fit applies to ordered items only"),
    (dict(ordered=True, parameterization="gamma"), "'parameterization' parameter of fit must be one of "
                                                   "{'delta', 'theta'}"),
    (dict(parameterization="mml"), "'parameterization' parameter of fit must be one of"),
    # meanstructure
    (dict(ordered=True, meanstructure=False), "cannot be False with 'ordered'"),  # lavaan: forced TRUE
    (dict(cluster="c", meanstructure=False), "cannot be False with 'cluster'"),  # lavaan: forced TRUE
    (dict(meanstructure="yes"), "'meanstructure' parameter of fit must be True or False"),  # lavaan: error
    (dict(meanstructure=1), "'meanstructure' parameter of fit must be True or False"),
    # missing
    (dict(missing="pairwise"), "'missing' parameter of fit can be 'pairwise' only with ordered items"),
    (dict(estimator="MLR", missing="pairwise"), "'missing' parameter"),
    (dict(missing="fiml", estimator="MLM"), "cannot be combined with missing='fiml'"),  # lavaan: listwise
    (dict(missing="ml", estimator="ULS"), "cannot be combined with missing='fiml'"),  # lavaan: error
    (dict(missing="ml", se="robust.sem"), "need complete data"),  # lavaan: switches to listwise, warns
    (dict(missing="ml", test="satorra.bentler"), "need complete data"),
    (dict(missing="ml", meanstructure=False), "cannot be False with missing='fiml'"),  # lavaan: forced TRUE
    (dict(missing="ml", cluster="c"), "not available with missing='fiml'"),  # lavaan: YB test from the h1 info
    (dict(missing="ml", test="yuan.bentler.mplus"), "not available with missing='fiml'"),
    (dict(ordered=True, missing="fiml"), "The 'missing' parameter of fit cannot be 'fiml' with ordered items"),
    (dict(missing="two.stage"), "'two.stage', which is not available in this version"),
    (dict(missing="available.cases"), "not available in this version"),
    (dict(missing="doubly.robust"), "not available in this version"),
    (dict(missing="bogus"), "The 'missing' parameter of fit must be one of {'listwise', 'pairwise', 'fiml', 'fiml.x'}"),
    # bootstrap and seed
    (dict(bootstrap=100, se="robust.sem"), "needs se='bootstrap'"),  # lavaan: draws nothing, silently
    (dict(test="bollen.stine", estimator="MLR"), "test='bollen.stine' is available with estimator='ML'"),
    (dict(test="bollen.stine", ordered=True), "test='bollen.stine' is available with estimator='ML'"),
    (dict(ci="bc"), "a bootstrap interval, which needs se='bootstrap'"),
    (dict(ci="monte_carlo", bootstrap=10), "cannot be 'monte_carlo' with se='bootstrap'"),
    (dict(ci="studentized", bootstrap=10), "The 'ci' parameter of fit must be one of"),
    (dict(bootstrap=-1), "'bootstrap' parameter of fit must be a non-negative int"),
    (dict(bootstrap=1.5), "'bootstrap' parameter of fit must be a non-negative int"),
    (dict(bootstrap=True), "'bootstrap' parameter of fit must be a non-negative int"),
    (dict(seed=1), "The 'seed' parameter of fit applies to random draws only"),
    (dict(seed=np.random.SeedSequence(1)), "nothing else in fit is random"),
    (dict(seed="1"), "'seed' parameter of fit must be a non-negative int or None"),
    (dict(seed=-1), "'seed' parameter of fit must be a non-negative int or None"),
    # cluster / group as column names; ordered items with cluster
    (dict(cluster=3), "'cluster' parameter of fit must be a column name"),
    (dict(cluster=""), "'cluster' parameter of fit must be a column name"),
    (dict(group=["a", "b"]), "'group' parameter of fit must be a column name"),
    (dict(ordered=True, cluster="c"), "'cluster' parameter of fit with ordered items (lavaan's robust.cluster.sem "
                                      "standard errors) is not available in this version"),
    # ordered
    (dict(ordered=3), "'ordered' parameter of fit must be True, a column name or a list of column names"),
    (dict(ordered=["q1", 2]), "Got 2 in it"),
    (dict(ordered={"q1": 1}), "'ordered' parameter"),
    (dict(ordered=True, fixed_x=False), "'fixed_x' parameter of fit cannot be False with 'ordered'"),  # lavaan: error
    # booleans must be bool
    (dict(std_lv="yes"), "'std_lv' parameter of fit must be True or False. Got 'yes' instead."),  # lavaan: error
    (dict(std_lv=1), "'std_lv' parameter of fit must be True or False"),
    (dict(orthogonal="yes"), "'orthogonal' parameter of fit must be True or False"),
    (dict(fixed_x="no"), "'fixed_x' parameter of fit must be True or False"),
]


@pytest.mark.parametrize("kwargs, message", ERRORS, ids=[str(k) for k, _ in ERRORS])
def test_refused_combinations(kwargs, message):
    with pytest.raises(ValueError) as info:
        normalize_options(**kwargs)
    assert message in str(info.value)


# ---------------------------------------------------------------------------------------
# options fit() does not have


@pytest.mark.parametrize("name", sorted(LAVAAN_ONLY_OPTIONS - set(LAVAAN_DEFAULTS) - {"auto_fix_first"}))
def test_lavaan_options_not_in_this_version_are_named(name):
    with pytest.raises(ValueError, match=rf"lavaan's option '[\w.]+' \({name}\) is not available in this version"):
        normalize_options(**{name: True})


@pytest.mark.parametrize("name, default", sorted(LAVAAN_DEFAULTS.items()))
def test_lavaan_options_at_the_default_the_engine_applies_are_accepted_and_others_refused(name, default):
    normalize_options(**{name: default})
    other = "something else" if isinstance(default, str) else not default
    with pytest.raises(ValueError, match=rf"\({name}\) = .* is not available in this version.*default"):
        normalize_options(**{name: other})


def test_auto_fix_first_default_follows_std_lv_as_lavaan():
    normalize_options(auto_fix_first=True)
    normalize_options(auto_fix_first=False, std_lv=True)
    with pytest.raises(ValueError, match="auto_fix_first"):
        normalize_options(auto_fix_first=False)


def test_lavaan_option_names_keep_their_dots_in_the_message():
    with pytest.raises(ValueError, match=r"lavaan's option 'auto\.cov\.lv\.x' \(auto_cov_lv_x\)"):
        normalize_options(auto_cov_lv_x=False)
    with pytest.raises(ValueError, match=r"'WLS\.V' \(WLS_V\)"):
        normalize_options(WLS_V=None)


@pytest.mark.parametrize("name, suggestion", [
    ("std_lvv", "std_lv"),
    ("groupequal", "group_equal"),
    ("estimater", "estimator"),
    ("orderd", "ordered"),
    ("likelyhood", "likelihood"),
])
def test_unknown_options_get_a_close_match(name, suggestion):
    with pytest.raises(ValueError) as info:
        normalize_options(**{name: 1})
    text = str(info.value)
    assert f"fit() got an unexpected option '{name}'; lavaan's options are written with '_' for '.'" in text
    assert f"Did you mean '{suggestion}'?" in text


def test_dotted_lavaan_spelling_points_to_the_python_one():
    with pytest.raises(ValueError, match=r"unexpected option 'std\.lv'.*'_' for '\.': std_lv"):
        normalize_options(**{"std.lv": True})
    with pytest.raises(ValueError, match=r"'optim\.method' \(optim_method\) is not available"):
        normalize_options(**{"optim.method": "BFGS"})


def test_unknown_option_is_checked_before_the_others():
    with pytest.raises(ValueError, match="unexpected option 'bogus'"):
        normalize_options(estimator="XYZ", bogus=1)


def test_fit_options_and_lavaan_only_options_do_not_overlap():
    assert not set(OPTION_NAMES) & LAVAAN_ONLY_OPTIONS


# ---------------------------------------------------------------------------------------
# lavaan's test vector and observed.information[2] (lavInspect(fit, "options"))

@pytest.mark.parametrize("kwargs, lavaan_test, observed_information", [
    (dict(), ("standard",), "hessian"),
    (dict(estimator="MLR"), ("yuan.bentler.mplus",), "hessian"),
    (dict(estimator="MLR", se="standard"), ("yuan.bentler.mplus",), "hessian"),
    (dict(test="yuan.bentler.mplus"), ("standard", "yuan.bentler.mplus"), "h1"),
    (dict(se="robust.huber.white"), ("standard",), "hessian"),
    (dict(se="robust.huber.white", test="yuan.bentler.mplus"), ("standard", "yuan.bentler.mplus"), "h1"),
    (dict(cluster="c"), ("standard", "yuan.bentler.mplus"), "h1"),
    (dict(cluster="c", test="standard"), ("standard",), "hessian"),
    (dict(cluster="c", estimator="MLR"), ("yuan.bentler.mplus",), "hessian"),
    (dict(ordered=True), ("scaled.shifted",), "h1"),
    (dict(estimator="MLMV"), ("scaled.shifted",), "h1"),
    (dict(estimator="MLMVS"), ("mean.var.adjusted",), "h1"),
    (dict(test="scaled.shifted"), ("standard", "scaled.shifted"), "h1"),
])
def test_lavaan_test_vector_and_observed_information(kwargs, lavaan_test, observed_information):
    opts = normalize_options(**kwargs)
    assert opts.lavaan_test == lavaan_test
    assert opts.observed_information == observed_information


# ---------------------------------------------------------------------------------------
# every combination: a FitOptions that normalizes to itself, or a ValueError

GRID = dict(
    estimator=[None, "ML", "MLR", "MLM", "MLMV", "MLMVS", "WLSMV", "ULSMV", "GLS", "PML"],
    ordered=[None, True, ["q1"]],
    cluster=[None, "c"],
    se=[None, "standard", "robust", "robust.huber.white", "robust.cluster", "robust.sem", "none", "observed",
        "bootstrap"],
    test=[None, "standard", "yuan.bentler.mplus", "scaled.shifted", "satorra.bentler", "mean.var.adjusted", "none"],
    information=[None, "expected", "observed", "first.order"],
)


def test_every_combination_is_resolved_consistently_or_refused():
    valid = 0
    for values in itertools.product(*GRID.values()):
        kwargs = dict(zip(GRID, values))
        try:
            opts = normalize_options(**kwargs)
        except ValueError as exc:
            assert str(exc)
            continue
        valid += 1
        assert isinstance(opts, FitOptions)
        assert normalize_options(**opts.to_dict()) == opts, kwargs
        assert normalize_options(**json.loads(json.dumps(opts.to_dict()))) == opts, kwargs
        if opts.categorical:
            assert opts.estimator in ("WLSMV", "ULSMV") and opts.cluster is None
            assert (opts.se, opts.test, opts.information) in {("robust.sem", "scaled.shifted", "expected"),
                                                              ("none", "scaled.shifted", "expected"),
                                                              ("bootstrap", "scaled.shifted", "expected")}
            assert opts.meanstructure is True
        else:
            assert opts.estimator in ("ML", "MLR", "MLM", "MLMV", "MLMVS", "GLS", "WLS", "DWLS", "ULS")
            if opts.estimator in ("GLS", "WLS", "DWLS", "ULS"):
                assert opts.test == "standard" and opts.se in ("standard", "none", "bootstrap")
                assert opts.cluster is None
            assert opts.se in ("standard", "robust.huber.white", "robust.cluster", "robust.sem", "none", "bootstrap")
            assert opts.test in ("standard", "yuan.bentler.mplus", "satorra.bentler", "scaled.shifted",
                                 "mean.var.adjusted")
            if opts.test in ("scaled.shifted", "mean.var.adjusted"):
                assert opts.estimator in ("ML", "MLMV", "MLMVS")
                assert opts.test == {"MLMV": "scaled.shifted", "MLMVS": "mean.var.adjusted"}.get(opts.estimator,
                                                                                                opts.test)
            if opts.se == "robust.sem" or opts.test in ("satorra.bentler", "scaled.shifted", "mean.var.adjusted"):
                assert opts.cluster is None and opts.information == "expected"
            if opts.estimator == "MLM":
                assert opts.test == "satorra.bentler"
            assert (opts.se == "robust.cluster") <= (opts.cluster is not None)
            if opts.cluster is not None:
                assert opts.se in ("robust.cluster", "none", "bootstrap") and opts.meanstructure is True
            if opts.estimator == "MLR":
                assert opts.test == "yuan.bentler.mplus"
        # an explicitly given value is never replaced by another one
        for key in ("cluster",):
            assert getattr(opts, key) == kwargs[key]
        # se="bootstrap": the draws, with the estimator's own test and 1000 draws (lavaan's default)
        assert (opts.se == "bootstrap") == (kwargs["se"] == "bootstrap")
        assert (opts.bootstrap, opts.ci) == ((1000, "perc") if opts.se == "bootstrap" else (0, None))
        if kwargs["information"] is not None:
            assert opts.information == kwargs["information"]
    assert valid > 50


def test_the_dataclass_defaults_are_the_normalized_defaults():
    assert FitOptions() == normalize_options()


def test_fit_options_are_frozen_and_hashable():
    opts = normalize_options(group="g", group_equal=["loadings"])
    with pytest.raises(AttributeError):
        opts.se = "none"
    assert hash(opts) == hash(normalize_options(group="g", group_equal="loadings"))


def test_bootstrap_options_resolve_as_documented():
    # bootstrap=N alone is se="bootstrap"; every estimator may be bootstrapped, keeping its own test
    opts = normalize_options(estimator="MLR", bootstrap=200, seed=4, ci="bca.simple")
    assert (opts.se, opts.test, opts.bootstrap, opts.seed, opts.ci) == ("bootstrap", "yuan.bentler.mplus", 200, 4, "bc")
    assert normalize_options(ordered=True, se="boot").se == "bootstrap"  # lavaan's alias
    bs = normalize_options(test="bollen.stine")
    assert (bs.se, bs.test, bs.bootstrap, bs.ci) == ("standard", "bollen.stine", 1000, None)
    mc = normalize_options(ci="monte_carlo", seed=2)
    assert (mc.se, mc.ci, mc.bootstrap) == ("standard", "monte_carlo", 0)
    assert normalize_options(**opts.to_dict()) == opts
