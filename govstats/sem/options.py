"""The options of :func:`govstats.fit`, normalized and validated in one place.

lavaan resolves its options once, in ``lav_options_set()`` (``lav_options.R``): defaults that
depend on the estimator, on ``cluster`` and on ordered data are filled in, aliases are mapped
to canonical values, and impossible combinations stop the fit. :func:`normalize_options` does
the same for ``fit()`` and returns a :class:`FitOptions` whose every field is resolved, so the
engine never has to guess.

Two rules go beyond lavaan:

* nothing is silently ignored: where lavaan accepts an option and then does nothing with it
  (``group_equal`` without ``group``, ``parameterization`` without ordered items) or quietly
  replaces it (``estimator="MLR"`` with ``cluster`` overrides ``se``; ordered data force
  ``meanstructure``), this raises a ``ValueError`` that says what lavaan does;
* what lavaan has but this version does not compute (other estimators, robust.sem SEs for
  continuous data, FIML, the bootstrap, ...) is refused by name, never replaced by something
  else.

Every comment "lavaan:" below was checked against lavaan 0.6.14 (``lavInspect(fit,
"options")`` after ``cfa()`` on HolzingerSwineford1939).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import numpy as np

from govstats.sem.rotation_options import rotation_options

__all__ = ["FitOptions", "normalize_options", "ESTIMATORS", "ORDINAL_ESTIMATORS"]

DEFAULT_ROTATION = rotation_options(None, None, None)  # lavaan's rotation options, resolved
CONTINUOUS_ESTIMATORS = ("ML", "MLR", "MLM", "MLMV", "MLMVS", "GLS", "WLS", "DWLS", "ULS")
LEAST_SQUARES = ("GLS", "WLS", "DWLS", "ULS")
ORDINAL_ESTIMATORS = ("WLSMV", "ULSMV")
ESTIMATORS = CONTINUOUS_ESTIMATORS + ORDINAL_ESTIMATORS

# Estimators lavaan 0.6.14 knows (lav_options_set) and this version does not have, plus the
# names other SEM software uses for estimators lavaan lacks in 0.6.14 (Bayes: blavaan;
# IV/2SLS/MIIV: lavaan >= 0.6-18 and MIIVsem).
OTHER_ESTIMATORS = frozenset({
    "WLSM", "WLSMVS", "ULSM", "ULSMVS", "MLF", "PML",
    "MML", "FML", "UMN", "REML", "NTRLS", "CATML", "DLS", "FABIN", "FABIN2", "FABIN3", "GUTTMAN",
    "GUTMAN", "GUTTMAN1952", "BENTLER", "BENTLER1982", "NONE", "BAYES", "IV", "2SLS", "MIIV",
})

MISSING = ("listwise", "pairwise", "fiml", "fiml.x")
# lavaan's names of full-information ML (normalized to "fiml" and "fiml.x")
FIML = ("ml", "direct", "fiml", "ml.x", "direct.x", "fiml.x")
# lavaan's other values of ``missing`` (its aliases included)
OTHER_MISSING = frozenset({
    "two.stage", "twostage", "two-stage", "two.step", "twostep", "two-step",
    "robust.two.stage", "robust.twostage", "robust.two-stage", "robust-two-stage", "robust.two.step",
    "robust.twostep", "robust-two-step", "two.stage.robust", "twostage.robust", "two-stage.robust",
    "two-stage-robust", "two.step.robust", "twostep.robust", "two-step-robust",
    "available.cases", "available_cases", "doubly.robust", "doubly_robust",
})

SE_VALUES = ("standard", "robust.huber.white", "robust.cluster", "robust.sem", "none")
# lavaan's se values this version does not compute (bootstrap is refused separately: planned)
OTHER_SE = frozenset({"external", "two.stage", "robust.two.stage", "robust.cluster.sem"})
# lav_options_check_se(): se aliases
SE_ALIASES = {"robust.mlm": "robust.sem", "robust.mlr": "robust.huber.white", "sandwich": "robust.huber.white",
              "boot": "bootstrap"}
# ... and se values that mean "standard SEs from this information"
SE_INFORMATION = ("observed", "expected", "first.order")

TESTS = ("standard", "satorra.bentler", "yuan.bentler.mplus", "scaled.shifted", "mean.var.adjusted")
# lavaan's ML estimators with a second-order test: ML estimates, robust.sem SEs and that test
SECOND_ORDER = {"MLMV": "scaled.shifted", "MLMVS": "mean.var.adjusted"}
# the tests lavaan computes from the sample's Gamma (lav_test_satorra_bentler.R)
GAMMA_TESTS = ("satorra.bentler", "scaled.shifted", "mean.var.adjusted")
# lav_test_rename(): every spelling lavaan accepts, to its canonical name
_TEST_RENAME = {
    **dict.fromkeys(("standard", "chisq", "chi", "chi-square", "chi.square"), "standard"),
    **dict.fromkeys(("satorra", "sb", "satorra.bentler", "satorra-bentler", "m.adjusted", "m", "mean.adjusted",
                     "mean-adjusted"), "satorra.bentler"),
    **dict.fromkeys(("yuan", "yb", "yuan.bentler", "yuan-bentler"), "yuan.bentler"),
    **dict.fromkeys(("yuan.bentler.mplus", "yuan-bentler.mplus", "yuan-bentler-mplus"), "yuan.bentler.mplus"),
    **dict.fromkeys(("mean.var.adjusted", "mean-var-adjusted", "mv", "second.order", "satterthwaite",
                     "mv.adjusted"), "mean.var.adjusted"),
    **dict.fromkeys(("mplus6", "scale.shift", "scaled.shifted", "scaled-shifted"), "scaled.shifted"),
    **dict.fromkeys(("bootstrap", "boot", "bollen.stine", "bollen-stine"), "bollen.stine"),
    **dict.fromkeys(("browne", "residual", "residuals", "browne.residual", "browne.residuals", "residual-based",
                     "residual.based", "browne.residuals.adf", "browne.residual.adf"), "browne.residual.adf"),
    **dict.fromkeys(("browne.residuals.nt", "browne.residual.nt"), "browne.residual.nt"),
    "browne.residual.adf.model": "browne.residual.adf.model",
    **dict.fromkeys(("browne.residuals.nt.model", "browne.residual.nt.model", "rls", "browne.rls", "nt.rls",
                     "nt-rls", "ntrls"), "browne.residual.nt.model"),
    "none": "none",
}
ROBUST_TESTS = ("satorra.bentler", "yuan.bentler", "yuan.bentler.mplus", "mean.var.adjusted", "scaled.shifted")

INFORMATION = ("expected", "observed", "first.order")
PARAMETERIZATIONS = ("delta", "theta")

GROUP_EQUAL = ("loadings", "intercepts", "means", "thresholds", "regressions", "residuals",
               "residual.covariances", "lv.variances", "lv.covariances")
# which group_equal kinds a group_partial entry's operator can free
_PARTIAL_KINDS = {"=~": ("loadings",), "~": ("regressions",), "~1": ("intercepts", "means"),
                  "|": ("thresholds",),
                  "~~": ("residuals", "residual.covariances", "lv.variances", "lv.covariances")}
_NAME = r"[^\W\d][\w.]*"
_PARTIAL = re.compile(rf"^(?P<lhs>{_NAME})(?P<op>=~|~~|~|\|)(?P<rhs>{_NAME}|1)$")

# fit()'s options, in its signature's order
OPTION_NAMES = ("estimator", "ordered", "missing", "cluster", "group", "group_equal", "group_partial", "se",
                "test", "information", "bootstrap", "seed", "ci", "std_lv", "meanstructure", "parameterization",
                "fixed_x", "orthogonal", "auxiliary", "rotation", "rotation_args", "rotation_se")
# Interval types of ``ci``: lavaan's boot.ci.type (bca.simple is BC) and semTools' monteCarloCI
BOOT_CI = ("perc", "bc", "bca", "norm", "basic")
CI_TYPES = BOOT_CI + ("monte_carlo",)
_CI_ALIASES = {"bca.simple": "bc", "percentile": "perc", "normal": "norm", "monte.carlo": "monte_carlo",
               "montecarlo": "monte_carlo", "mc": "monte_carlo"}
# lavaan's default number of draws with se="bootstrap"
DEFAULT_BOOTSTRAP = 1000

# lavaan 0.6.14's options (names(lav_options_default())) and data arguments of lavaan()/cfa()/sem(),
# with '_' for '.', that fit() does not have.
# lavaan options whose defaults (for sem() and cfa()) the engine applies: passing the default is
# accepted, any other value is refused (lavaan's rules are reproduced, not switchable).
LAVAAN_DEFAULTS = {
    "auto_fix_single": True, "auto_var": True, "auto_cov_lv_x": True, "auto_cov_y": True, "auto_th": True,
    "auto_delta": True, "int_ov_free": True, "int_lv_free": False, "std_ov": False, "likelihood": "normal",
    "mimic": "lavaan", "model_type": "sem", "orthogonal_x": False, "orthogonal_y": False, "auto_efa": True,
}

LAVAAN_ONLY_OPTIONS = frozenset({
    "model_type", "mimic", "int_ov_free", "int_lv_free", "conditional_x", "orthogonal_x", "orthogonal_y",
    "correlation", "effect_coding", "ceq_simple", "auto_fix_first", "auto_fix_single", "auto_var", "auto_cov_lv_x",
    "auto_cov_y", "auto_th", "auto_delta", "auto_efa", "std_ov",
    "sampling_weights_normalization", "sample_cov_rescale", "sample_icov", "ridge", "ridge_constant", "group_label",
    "group_w_free", "level_label", "estimator_args", "likelihood", "link", "representation", "do_fit", "bounds",
    "h1_information", "observed_information", "information_meat", "h1_information_meat", "omega_information",
    "omega_h1_information", "omega_information_meat", "omega_h1_information_meat", "scaled_test",
    "ug2_old_approach", "gamma_n_minus_one", "gamma_unbiased", "control", "optim_method", "optim_attempts",
    "optim_force_converged", "optim_gradient", "optim_init_nelder_mead", "optim_var_transform", "optim_parscale",
    "optim_partrace", "optim_dx_tol", "optim_bounds", "em_iter_max", "em_fx_tol", "em_dx_tol", "em_zerovar_offset",
    "em_h1_iter_max", "em_h1_tol", "em_h1_warn", "optim_gn_iter_max", "optim_gn_stephalf_max", "optim_gn_tol_x",
    "integration_ngh", "parallel", "ncpus", "cl", "iseed", "zero_add", "zero_keep_margins", "zero_cell_warn",
    "start", "check_start", "check_post", "check_gradient", "check_vcov", "check_lv_names", "h1", "baseline",
    "baseline_conditional_x_free_slopes", "implied", "loglik", "store_vcov", "verbose", "warn", "debug",
    # data arguments
    "sampling_weights", "sample_cov", "sample_mean", "sample_th", "sample_nobs", "constraints", "WLS_V", "NACOV",
    "ov_order",
})


def _show(values) -> str:
    return "{" + ", ".join(repr(v) for v in values) + "}"


def _choice_error(name: str, value, allowed) -> ValueError:
    return ValueError(f"The '{name}' parameter of fit must be one of {_show(allowed)}. Got {value!r} instead.")


def _not_available(text: str) -> ValueError:
    return ValueError(f"{text} is not available in this version.")


@dataclass(frozen=True)
class FitOptions:
    """The resolved options of one :func:`govstats.fit` call.

    Build it with :func:`normalize_options`, which fills in lavaan's defaults and refuses
    every inconsistent or unavailable combination; the fields are then final.

    Attributes
    ----------
    estimator : {"ML", "MLR", "WLSMV", "ULSMV"}
    ordered : None, True or tuple of str
        No ordered items, every observed variable of the model, or the named ones.
    missing : {"listwise", "pairwise", "fiml", "fiml.x"}
    cluster, group : str or None
        Column names (their existence in the data is checked by ``fit``).
    group_equal, group_partial : tuple of str
        Cross-group equality constraints and the parameters freed from them (``"f1=~x2"``,
        ``"x1~1"``, ``"x1|t1"``). With ordered items ``intercepts`` and ``thresholds`` come
        together, as in lavaan.
    se : {"standard", "robust.huber.white", "robust.cluster", "robust.sem", "none"}
        ``robust.sem`` only with WLSMV/ULSMV; ``none``: no standard errors.
    test : {"standard", "yuan.bentler.mplus", "scaled.shifted"}
        The test reported beside the standard chi-square (``"standard"``: that one only).
    information : {"expected", "observed", "first.order"}
        The information matrix of the standard errors and of the scaled test (lavaan's
        ``information`` for both).
    bootstrap : int
        Bootstrap draws (0: none); with ``se="bootstrap"`` the SEs and the ``ci`` intervals come
        from them (:mod:`govstats.sem.bootstrap`).
    seed : int or None
        Seed of the bootstrap or Monte Carlo draws.
    ci : {None, "perc", "bc", "bca", "norm", "basic", "monte_carlo"}
        The interval type of ``ci_lower``/``ci_upper``: a bootstrap type (default ``perc`` with
        the bootstrap, as lavaan's ``boot.ci.type``), or Monte Carlo intervals of the defined
        and standardized parameters (semTools' ``monteCarloCI``); None: Wald intervals.
    std_lv, fixed_x, orthogonal : bool
    meanstructure : bool or None
        None: lavaan's default, decided from the syntax and the number of groups.
    parameterization : {"delta", "theta"}
    rotation : str
        The rotation of exploratory SEM blocks (``efa("b")*f``), one of
        :data:`govstats.sem.rotation_options.CRITERIA`; lavaan's default geomin.
    rotation_args : tuple of (name, value)
        lavaan's ``rotation.args`` ('_' for '.'), every default filled in
        (:mod:`govstats.sem.rotation_options`); pairs, so that the options stay hashable
        (:attr:`rotation_settings` is the mapping, ``to_dict`` writes a dict).
    rotation_se : {"bordered", "delta"}

    Examples
    --------
    >>> opts = normalize_options(estimator="mlr")
    >>> opts.se, opts.test, opts.information
    ('robust.huber.white', 'yuan.bentler.mplus', 'observed')
    >>> normalize_options(**opts.to_dict()) == opts
    True
    """

    estimator: str = "ML"
    ordered: tuple[str, ...] | bool | None = None
    missing: str = "listwise"
    cluster: str | None = None
    group: str | None = None
    group_equal: tuple[str, ...] = ()
    group_partial: tuple[str, ...] = ()
    se: str = "standard"
    test: str = "standard"
    information: str = "expected"
    bootstrap: int = 0
    seed: int | None = None
    ci: str | None = None
    std_lv: bool = False
    meanstructure: bool | None = None
    parameterization: str = "delta"
    fixed_x: bool = True
    orthogonal: bool = False
    auxiliary: tuple[str, ...] = ()
    rotation: str = "geomin"
    rotation_args: tuple = DEFAULT_ROTATION["rotation_args"]
    rotation_se: str = "bordered"

    @property
    def rotation_settings(self) -> dict:
        """``rotation_args`` as a mapping (every lavaan default filled in)."""
        return dict(self.rotation_args)

    @property
    def categorical(self) -> bool:
        """Whether some items are ordered (lavaan's ``categorical``)."""
        return self.ordered is not None

    @property
    def lavaan_test(self) -> tuple[str, ...]:
        """The test statistics lavaan computes for these options (``lavInspect(fit, "options")$test``).

        lavaan adds the tests asked for to the estimator's own (``union()`` in
        ``lav_options_set``): ML with ``test="yuan.bentler.mplus"`` (or with ``cluster``) computes
        ``("standard", "yuan.bentler.mplus")``, MLR only ``("yuan.bentler.mplus",)``.

        Examples
        --------
        >>> normalize_options(cluster="community").lavaan_test
        ('standard', 'yuan.bentler.mplus')
        >>> normalize_options(estimator="MLR", cluster="community").lavaan_test
        ('yuan.bentler.mplus',)
        """
        if self.test == "standard" or self.estimator != "ML":
            return (self.test,)
        return ("standard", self.test)

    @property
    def observed_information(self) -> str:
        """How the scaled test computes an observed information: ``"hessian"`` or ``"h1"``.

        lavaan's ``observed.information[2]``: with a single robust test it is the Hessian of the
        model (MLR), with several (ML plus a requested Yuan-Bentler test, or ML with ``cluster``)
        the observed information of the unrestricted model at the implied moments ("h1"). It
        matters only when ``information == "observed"`` and the test is scaled; the two give
        different scaling factors (HolzingerSwineford1939, two factors: 0.9995 with MLR,
        1.0598 with ML and ``se="robust.huber.white", test="yuan.bentler.mplus"``).

        Examples
        --------
        >>> normalize_options(estimator="MLR").observed_information
        'hessian'
        >>> normalize_options(cluster="community").observed_information
        'h1'
        """
        tests = self.lavaan_test
        if any(t in ROBUST_TESTS for t in tests):
            if len(tests) > 1 or tests[0] != "yuan.bentler.mplus":
                return "h1"
        return "hessian"

    def to_dict(self) -> dict:
        """The options as JSON-able keyword arguments of ``fit``: ``fit(model, data, **opts.to_dict())``.

        Examples
        --------
        >>> import json
        >>> opts = normalize_options(ordered=["q1", "q2"], group="region", group_equal="loadings")
        >>> d = opts.to_dict()
        >>> d["estimator"], d["ordered"], d["group_equal"]
        ('WLSMV', ['q1', 'q2'], ['loadings'])
        >>> normalize_options(**json.loads(json.dumps(d))) == opts
        True
        """
        out = asdict(self)
        for key in ("group_equal", "group_partial", "auxiliary"):
            out[key] = list(out[key])
        out["rotation_args"] = self.rotation_settings
        if isinstance(self.ordered, tuple):
            out["ordered"] = list(self.ordered)
        return out


def normalize_options(*, estimator=None, ordered=None, missing=None, cluster=None, group=None, group_equal=(),
                      group_partial=(), se=None, test=None, information=None, bootstrap=0, seed=None,
                      ci=None, std_lv=False, meanstructure=None, parameterization=None, fixed_x=None, orthogonal=False,
                      auxiliary=(), rotation=None, rotation_args=None, rotation_se=None,
                      **other) -> FitOptions:
    """Resolve and check the options of :func:`govstats.fit` once, as lavaan's ``lav_options_set``.

    String values are case-insensitive and lavaan's aliases are accepted (``se="sandwich"``,
    ``test="sb"``, ``missing="direct"``, ...); ``None`` (or lavaan's ``"default"``) takes
    lavaan's default for the estimator, the clusters and the ordered items.

    Parameters
    ----------
    estimator : str, optional
        ``ML``, ``MLR``, ``MLM``, ``MLMV``, ``MLMVS``, ``GLS``, ``WLS``, ``DWLS``, ``ULS`` (continuous
        data), ``WLSMV`` or ``ULSMV`` (ordered items). Default ML, or WLSMV with ``ordered``.
    ordered : True, str or list of str, optional
        Ordered items: True for all; an empty list or False for none.
    missing : {"listwise", "pairwise", "fiml", "fiml.x"}, optional
        ``pairwise`` with ordered items only; ``fiml`` (lavaan's ``"ml"``, ``"direct"``) is
        full-information ML (ML or MLR, continuous items), ``fiml.x`` (lavaan's ``"ml.x"``) keeps
        rows with blank exogenous covariates.
    cluster, group : str, optional
        Column names.
    group_equal : str or list of str
        Some of ``loadings, intercepts, means, thresholds, regressions, residuals,
        residual.covariances, lv.variances, lv.covariances`` (or ``"none"``); needs ``group``.
    group_partial : str or list of str
        Parameters freed from ``group_equal``: ``"f1=~x2"``, ``"y~x"``, ``"x1~~x1"``, ``"x1~1"``,
        ``"x1|t2"``.
    se : str, optional
        ``standard``, ``robust.huber.white``, ``robust.cluster`` (needs ``cluster``),
        ``robust.sem`` (WLSMV/ULSMV), ``none``, or ``robust`` (lavaan's meaning: robust.sem, or
        robust.cluster with ``cluster``). Default: the estimator's.
    test : str, optional
        ``standard``, ``yuan.bentler.mplus``, ``satorra.bentler``, ``scaled.shifted`` or
        ``mean.var.adjusted`` (ML family: the estimator's own test or, with ML, one added beside the
        standard one), ``scaled.shifted`` (WLSMV/ULSMV).
    information : {"expected", "observed", "first.order"}, optional
        Default: observed for robust.huber.white and robust.cluster SEs, else expected.
    bootstrap : int
        Bootstrap draws. ``se="bootstrap"`` alone draws 1000 (lavaan's default); ``bootstrap=N``
        alone means ``se="bootstrap"``. Unlike lavaan, every estimator may be bootstrapped (the
        test statistic stays the estimator's); ``test="bollen.stine"`` (ML) adds the Bollen-Stine
        bootstrap p-value.
    seed : int or SeedSequence, optional
        Seed of the bootstrap or of the Monte Carlo intervals; anything else is an error.
    ci : str, optional
        ``perc`` (default with the bootstrap), ``bc`` (lavaan's ``bca.simple``), ``bca``,
        ``norm``, ``basic``, or ``monte_carlo`` (without the bootstrap).
    std_lv, orthogonal : bool
    auxiliary : str or list of str
        Auxiliary variables for FIML (``missing="fiml"``): columns outside the model added as
        saturated correlates (Graham 2003), as semTools' ``sem.auxiliary``, with its baseline model.
    meanstructure : bool, optional
    parameterization : {"delta", "theta"}, optional
        ``theta`` with ordered items only.
    fixed_x : bool, optional
        Default as lavaan's: True for the ML family and ordered items, False for GLS, WLS, DWLS and
        ULS (their covariates' variances are free parameters); False is not possible with ordered
        items (lavaan: conditional.x).
    **other
        Refused: lavaan options this version does not have are named as such, anything else
        gets a close-match suggestion.

    Returns
    -------
    FitOptions

    Raises
    ------
    ValueError
        For any unknown, unavailable, ill-typed or inconsistent option.

    Examples
    --------
    >>> o = normalize_options()
    >>> o.estimator, o.se, o.test, o.information, o.meanstructure
    ('ML', 'standard', 'standard', 'expected', None)
    >>> o = normalize_options(ordered=True)
    >>> o.estimator, o.se, o.test, o.meanstructure
    ('WLSMV', 'robust.sem', 'scaled.shifted', True)
    >>> normalize_options(cluster="community_id").se
    'robust.cluster'
    >>> normalize_options(estimator="MLR", se="standard").test  # as lavaan: ML SEs, scaled test
    'yuan.bentler.mplus'
    >>> normalize_options(se="robust.cluster")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: The 'se' parameter of fit is 'robust.cluster', which needs the 'cluster' parameter ...
    >>> normalize_options(optim_method="BFGS")
    Traceback (most recent call last):
    ...
    ValueError: lavaan's option 'optim.method' (optim_method) is not available in this version of fit().
    """
    other = _drop_lavaan_defaults(other, std_lv)
    _check_unknown(other)

    # --- types -------------------------------------------------------------------------
    ordered = _ordered(ordered)
    categorical = ordered is not None
    cluster = _column("cluster", cluster)
    group = _column("group", group)
    std_lv = _bool("std_lv", std_lv)
    orthogonal = _bool("orthogonal", orthogonal)
    fixed_x = None if fixed_x is None else _bool("fixed_x", fixed_x)
    if isinstance(meanstructure, str) and meanstructure.lower() == "default":
        meanstructure = None
    meanstructure = None if meanstructure is None else _bool("meanstructure", meanstructure)
    bootstrap = _count("bootstrap", bootstrap)
    if seed is not None and not isinstance(seed, np.random.SeedSequence):
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"The 'seed' parameter of fit must be a non-negative int or None. Got {seed!r} instead.")
    if _lower("estimator", estimator) is None:
        estimator = None
    missing = _lower("missing", missing)
    se = _lower("se", se)
    test = _lower("test", test)
    information = _lower("information", information)
    parameterization = _lower("parameterization", parameterization)
    if information is not None and information not in INFORMATION:
        raise _choice_error("information", information, INFORMATION)

    # --- estimator and ordered items -----------------------------------------------------
    estimator = _estimator(estimator, ordered)
    if fixed_x is None:
        # lavaan (lav_options_set): fixed.x = "default" is TRUE for ML (MLR, MLM, MLMV, ... are ML there)
        # and with conditional.x (ordered items), FALSE for GLS, WLS, DWLS, ULS on continuous data
        fixed_x = categorical or estimator not in LEAST_SQUARES

    # --- the bootstrap and Monte Carlo intervals ------------------------------------------
    se_given = se
    se = SE_ALIASES.get(se, se)
    if test is not None:
        if test not in _TEST_RENAME:
            raise _choice_error("test", test, TESTS)
        test = _TEST_RENAME[test]
    bootstrap, boot_se, bollen_stine, ci = _bootstrap(bootstrap, se, test, _lower("ci", ci), seed, estimator,
                                                      ordered)
    if boot_se:
        se = se_given = None  # the estimator's own SEs are resolved below, then replaced by the draws
    if bollen_stine:
        test = None

    # --- missing values ------------------------------------------------------------------
    missing = _missing(missing, categorical)

    # --- ordered items: what lavaan forces or ignores ------------------------------------
    if categorical:
        if cluster is not None:
            # lavaan: WLSMV with cluster gives se="robust.cluster.sem", test "satorra.bentler"
            raise _not_available("The 'cluster' parameter of fit with ordered items (lavaan's robust.cluster.sem "
                                 "standard errors)")
        if meanstructure is False:
            # lavaan: categorical data force meanstructure=TRUE, silently
            raise ValueError("The 'meanstructure' parameter of fit cannot be False with 'ordered': ordered items "
                             "always have a mean structure (thresholds, and intercepts of continuous items), as in "
                             "lavaan, which silently sets meanstructure=TRUE; leave out 'meanstructure'.")
        meanstructure = True
        if not fixed_x:
            # lavaan: "fixed.x = FALSE is not supported when conditional.x = TRUE" (ordered data)
            raise ValueError("The 'fixed_x' parameter of fit cannot be False with 'ordered': as in lavaan, exogenous "
                             "covariates are conditioned on (conditional.x), which needs fixed_x=True.")
    if parameterization is None:
        parameterization = "delta"
    if parameterization not in PARAMETERIZATIONS:
        raise _choice_error("parameterization", parameterization, PARAMETERIZATIONS)
    if parameterization != "delta" and not categorical:
        # lavaan: accepted and ignored without ordered items
        raise ValueError(f"The 'parameterization' parameter of fit applies to ordered items only; without "
                         f"'ordered', parameterization={parameterization!r} would have no effect (lavaan ignores "
                         f"it): pass ordered=True (or the ordinal item names), or leave out 'parameterization'.")

    # --- groups --------------------------------------------------------------------------
    group_equal = _group_equal(group_equal, group, categorical)
    group_partial = _group_partial(group_partial, group, group_equal)
    if {"intercepts", "means"} & set(group_equal):
        if meanstructure is False:
            # lavaan: group.equal with intercepts or means forces meanstructure=TRUE, silently
            raise ValueError(f"The 'meanstructure' parameter of fit cannot be False with group_equal="
                             f"{list(group_equal)!r}: equal intercepts or means need the mean structure (lavaan "
                             "silently sets meanstructure=TRUE); leave out 'meanstructure'.")
        meanstructure = True

    # --- standard errors, test, information ----------------------------------------------
    if categorical:
        se, test, information = _inference_ordinal(estimator, se, test, information, se_given)
    else:
        if cluster is not None:
            if meanstructure is False:
                # lavaan: cluster (single level) forces meanstructure=TRUE, silently
                raise ValueError("The 'meanstructure' parameter of fit cannot be False with 'cluster': lavaan fits "
                                 "clustered data with a mean structure (it silently sets meanstructure=TRUE); "
                                 "leave out 'meanstructure'.")
            meanstructure = True
        if missing in ("fiml", "fiml.x"):
            se, information = _fiml_checks(estimator, se, test, information, meanstructure)
            meanstructure = True
        se, test, information = _inference_continuous(estimator, se, test, information, cluster, se_given)

    if boot_se:
        se = "bootstrap"
    if bollen_stine:
        test = "bollen.stine"
    options = FitOptions(estimator=estimator, ordered=ordered, missing=missing, cluster=cluster, group=group,
                         group_equal=group_equal, group_partial=group_partial, se=se, test=test,
                         information=information, bootstrap=bootstrap, seed=seed, ci=ci, std_lv=std_lv,
                         meanstructure=meanstructure,
                         parameterization=parameterization, fixed_x=fixed_x, orthogonal=orthogonal,
                         auxiliary=_auxiliary(auxiliary, missing),
                         **rotation_options(rotation, rotation_args, rotation_se))
    if missing in ("fiml", "fiml.x") and information == "observed" and options.observed_information == "h1":
        # lavaan then computes the scaled test from the h1 observed information at the implied moments
        raise ValueError("The Yuan-Bentler test beside the standard one (estimator='ML' with 'cluster', or with "
                         "test='yuan.bentler.mplus') is not available with missing='fiml' in this version; use "
                         "estimator='MLR' (with 'cluster' if needed), which gives the scaled test as lavaan's MLR.")
    return options


# ----------------------------------------------------------------------------------------
# single options


def _drop_lavaan_defaults(other: Mapping, std_lv) -> dict:
    """lavaan options given at the default the engine applies are accepted (and dropped); another
    value is a ValueError naming the option, its value and the default."""
    defaults = dict(LAVAAN_DEFAULTS, auto_fix_first=not bool(std_lv))  # lavaan: auto.fix.first = !std.lv
    kept = {}
    for name, value in other.items():
        key = str(name).replace(".", "_")
        if key not in defaults:
            kept[name] = value
            continue
        default = defaults[key]
        same = (value == default and type(value) is type(default)) if not isinstance(default, str) else \
            isinstance(value, str) and value.lower() in (default, "default")
        if not same:
            raise ValueError(f"lavaan's option {key.replace('_', '.')!r} ({key}) = {value!r} is not available in this "
                             f"version of fit(); govstats applies lavaan's default ({default!r}) for sem() and cfa().")
    return kept


def _check_unknown(other: Mapping) -> None:
    for name in other:
        underscored = str(name).replace(".", "_")
        if underscored in OPTION_NAMES:
            raise ValueError(f"fit() got an unexpected option {name!r}; lavaan's options are written with '_' for "
                             f"'.': {underscored}.")
        if underscored in LAVAAN_ONLY_OPTIONS:
            dotted = {"WLS_V": "WLS.V", "optim_init_nelder_mead": "optim.init_nelder_mead"}.get(
                underscored, underscored.replace("_", "."))
            raise ValueError(f"lavaan's option {dotted!r} ({underscored}) is not available in this version of fit().")
        close = difflib.get_close_matches(str(name), OPTION_NAMES + tuple(sorted(LAVAAN_ONLY_OPTIONS)), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"fit() got an unexpected option {name!r}; lavaan's options are written with '_' for '.'."
                         f"{hint} fit's options are: {', '.join(OPTION_NAMES)}.")


def _bootstrap(bootstrap, se, test, ci, seed, estimator, ordered) -> tuple[int, bool, bool, str | None]:
    """(draws, bootstrap SEs?, Bollen-Stine test?, interval type) from bootstrap, se, test, ci, seed."""
    bollen_stine = test == "bollen.stine"
    # bootstrap=N alone means bootstrap SEs; with test="bollen.stine" it sizes the test's draws
    boot_se = se == "bootstrap" or (bootstrap > 0 and se is None and not bollen_stine)
    if bootstrap > 0 and not (boot_se or bollen_stine):
        # lavaan: bootstrap=N with another se (and no bootstrap test) draws nothing, silently
        raise ValueError(f"The 'bootstrap' parameter of fit ({bootstrap}) needs se='bootstrap' (or leave out 'se'), "
                         f"or test='bollen.stine'; with se={se!r} the draws would not be used.")
    if (boot_se or bollen_stine) and bootstrap == 0:
        bootstrap = DEFAULT_BOOTSTRAP
    if bollen_stine and (estimator != "ML" or ordered is not None):
        raise ValueError(f"test='bollen.stine' is available with estimator='ML' on continuous data only (it "
                         f"bootstraps the ML chi-square). Got estimator={estimator!r}.")
    if ci is not None:
        ci = _CI_ALIASES.get(ci, ci)
        if ci not in CI_TYPES:
            raise _choice_error("ci", ci, CI_TYPES)
        if ci in BOOT_CI and not boot_se:
            raise ValueError(f"The 'ci' parameter of fit is {ci!r}, a bootstrap interval, which needs "
                             "se='bootstrap' (and bootstrap=N); for intervals without the bootstrap use "
                             "ci='monte_carlo', or leave out 'ci' (Wald intervals).")
        if ci == "monte_carlo" and boot_se:
            raise ValueError("The 'ci' parameter of fit cannot be 'monte_carlo' with se='bootstrap': Monte Carlo "
                             "intervals draw from the asymptotic distribution instead of resampling; use one of "
                             f"{_show(BOOT_CI)} with the bootstrap.")
    elif boot_se:
        ci = "perc"  # lavaan's boot.ci.type default
    if seed is not None and not (bootstrap or ci == "monte_carlo"):
        raise ValueError("The 'seed' parameter of fit applies to random draws only (se='bootstrap', "
                         "test='bollen.stine' or ci='monte_carlo'); nothing else in fit is random: leave out 'seed'.")
    return bootstrap, boot_se, bollen_stine, ci


def _lower(name: str, value) -> str | None:
    """None, or the lower-cased string (lavaan lower-cases every character option); 'default' is None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"The '{name}' parameter of fit must be a string or None. Got {value!r} instead.")
    value = value.strip().lower()
    return None if value in ("default", "") else value


def _bool(name: str, value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"The '{name}' parameter of fit must be True or False. Got {value!r} instead.")


def _count(name: str, value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"The '{name}' parameter of fit must be a non-negative int. Got {value!r} instead.")
    return int(value)


def _column(name: str, value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"The '{name}' parameter of fit must be a column name (a non-empty str) or None. "
                         f"Got {value!r} instead.")
    return value


def _ordered(value) -> tuple[str, ...] | bool | None:
    # lavaan: ordered=FALSE and ordered=character(0) mean no ordered items (estimator ML)
    if value is None or (isinstance(value, (bool, np.bool_)) and not value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ValueError(f"The 'ordered' parameter of fit must be True, a column name or a list of column names. "
                         f"Got {value!r} instead.")
    names = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    bad = [v for v in names if not isinstance(v, str) or not v]
    if bad:
        raise ValueError(f"The 'ordered' parameter of fit must be True, a column name or a list of column names. "
                         f"Got {bad[0]!r} in it.")
    return tuple(dict.fromkeys(names)) or None


def _estimator(estimator: str | None, ordered) -> str:
    if estimator is None:
        return "WLSMV" if ordered is not None else "ML"
    estimator = estimator.strip()
    upper = estimator.upper()
    if upper in OTHER_ESTIMATORS:
        raise ValueError(f"estimator={estimator!r} ({upper}) is not available in this version; the available "
                         f"estimators are {_show(CONTINUOUS_ESTIMATORS)} for continuous data and "
                         f"{_show(ORDINAL_ESTIMATORS)} for ordered items.")
    if upper not in ESTIMATORS:
        raise _choice_error("estimator", estimator, ESTIMATORS)
    if ordered is not None and upper not in ORDINAL_ESTIMATORS:
        # lavaan: "estimator ML for ordered data is not supported yet. Use WLSMV instead."
        raise ValueError(f"With ordered items the estimator must be one of {_show(ORDINAL_ESTIMATORS)} (got "
                         f"{estimator!r}); to treat the codes as continuous with {upper}, leave out 'ordered'.")
    if ordered is None and upper in ORDINAL_ESTIMATORS:
        # lavaan also fits continuous data by WLSMV/ULSMV (DWLS/ULS estimates, robust.sem SEs, the
        # scaled-shifted test); this version does not have those SEs and tests for continuous data
        raise ValueError(f"estimator={estimator!r} is for ordered items in this version: pass ordered=True (every "
                         "observed variable of the model) or ordered=[item names]. On continuous data lavaan's "
                         f"{upper} is {upper[:-2] if upper != 'WLSMV' else 'DWLS'} estimates with robust standard "
                         "errors and a scaled-shifted test, which this version does not compute there: use "
                         f"estimator='{'DWLS' if upper == 'WLSMV' else 'ULS'}' (the same estimates, standard SEs and "
                         "test) or estimator='MLR' (robust SEs and test).")
    return upper


def _missing(missing: str | None, categorical: bool) -> str:
    if missing is None:
        return "listwise"
    if missing in FIML:
        if categorical:
            # lavaan: 'missing = "fiml" not available in the categorical setting'
            raise ValueError(f"The 'missing' parameter of fit cannot be {missing!r} with ordered items (lavaan has no "
                             "FIML in the categorical setting either); use missing='pairwise' or 'listwise'.")
        return "fiml.x" if missing.endswith(".x") else "fiml"
    if missing in OTHER_MISSING:
        raise ValueError(f"The 'missing' parameter of fit is {missing!r}, which is not available in this version; "
                         f"use one of {_show(MISSING)} ('pairwise' with ordered items).")
    if missing not in MISSING:
        raise _choice_error("missing", missing, MISSING)
    if missing == "pairwise" and not categorical:
        # lavaan: ML with missing="pairwise" fits the pairwise-complete covariances; not in this version
        raise ValueError("The 'missing' parameter of fit can be 'pairwise' only with ordered items in this version "
                         "(pairwise-complete covariances for continuous data are not available); use "
                         "missing='listwise', or pass 'ordered'.")
    return missing


def _fiml_checks(estimator: str, se, test, information, meanstructure):
    """FIML's constraints, as lavaan's: ML or MLR only, always a mean structure, and the observed
    information by default (lavaan: information = "observed" with missing = "ml"); se="robust"
    is the sandwich (lavaan: robust.huber.white with missing = "ml"). Returns (se, information)."""
    if estimator not in ("ML", "MLR"):
        # lavaan: MLM (and se="robust.sem") switch to listwise deletion with a warning; least squares refuse
        raise ValueError(f"estimator={estimator!r} cannot be combined with missing='fiml' (lavaan would switch to "
                         "listwise deletion or refuse); use estimator='ML' or 'MLR' with FIML.")
    if se == "robust.sem" or test in GAMMA_TESTS:
        raise ValueError("MLM-type standard errors (se='robust.sem') and the Satorra-Bentler (or MLMV-type "
                         "scaled-shifted, mean-and-variance adjusted) tests need complete data; "
                         "with missing='fiml' lavaan silently switches to listwise deletion. Use estimator='MLR' "
                         "(sandwich standard errors and the Yuan-Bentler test with FIML), or missing='listwise'.")
    if meanstructure is False:
        raise ValueError("The 'meanstructure' parameter of fit cannot be False with missing='fiml': FIML needs the "
                         "means (lavaan silently sets meanstructure=TRUE); leave out 'meanstructure'.")
    return ("robust.huber.white" if se == "robust" else se), ("observed" if information is None else information)


def _auxiliary(value, missing: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(_string_list("auxiliary", value)))
    if names and missing not in ("fiml", "fiml.x"):
        raise ValueError(f"The 'auxiliary' parameter of fit ({list(names)}) needs missing='fiml': auxiliary variables "
                         "only inform the estimates through the likelihood of incomplete data (semTools' auxiliary() "
                         "with lavaan's missing = \"ml\").")
    return names


def _string_list(name: str, value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ValueError(f"The '{name}' parameter of fit must be a string or a list of strings. Got {value!r} instead.")
    value = list(value)
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        raise ValueError(f"The '{name}' parameter of fit must be a string or a list of strings. Got {bad[0]!r} in it.")
    return value


def _group_equal(value, group: str | None, categorical: bool) -> tuple[str, ...]:
    kinds = [v.strip().lower() for v in _string_list("group_equal", value)]
    if kinds == ["none"]:  # lavaan: group.equal="none" is no constraint
        kinds = []
    kinds = list(dict.fromkeys(k for k in kinds if k))
    for kind in kinds:
        if kind == "composite.loadings":
            raise _not_available("group_equal='composite.loadings' (lavaan's composites)")
        if kind not in GROUP_EQUAL:
            # lavaan: "unknown value for `group.equal' argument"
            raise ValueError(f"The 'group_equal' parameter of fit must name some of {_show(GROUP_EQUAL)}. Got "
                             f"{kind!r} instead.")
    if not kinds:
        return ()
    if group is None:
        # lavaan: accepted and ignored in a single-group fit
        raise ValueError(f"The 'group_equal' parameter of fit ({kinds!r}) needs the 'group' parameter: equality "
                         "constraints are across groups, and lavaan ignores them without groups.")
    if "thresholds" in kinds and not categorical:
        # lavaan: accepted and ignored (continuous items have no thresholds)
        raise ValueError("The 'group_equal' parameter of fit names 'thresholds', which only ordered items have; "
                         "pass 'ordered', or leave 'thresholds' out (lavaan ignores it for continuous items).")
    if categorical:
        # lavaan (categorical): intercepts come with thresholds and thresholds with intercepts
        if "intercepts" in kinds and "thresholds" not in kinds:
            kinds.append("thresholds")
        if "thresholds" in kinds and "intercepts" not in kinds:
            kinds.append("intercepts")
    return tuple(kinds)


def partial_kinds(entry: str) -> tuple[str, ...]:
    """The group_equal kinds a group_partial entry can free (``"f=~x2"`` -> ``("loadings",)``);
    empty when the entry is not one parameter."""
    op = _partial_op(re.sub(r"\s+", "", entry))
    return () if op is None else _PARTIAL_KINDS[op]


def _partial_op(entry: str) -> str | None:
    """The operator of a group_partial entry ('=~', '~', '~~', '~1' or '|'), None if it is not one parameter."""
    m = _PARTIAL.match(entry)
    if not m:
        return None
    op, rhs = m["op"], m["rhs"]
    if op == "~" and rhs == "1":
        return "~1"
    if rhs == "1" or (op == "|" and not re.fullmatch(r"t\d+", rhs)):
        return None
    return op


def _group_partial(value, group: str | None, group_equal: tuple[str, ...]) -> tuple[str, ...]:
    # lavaan removes all whitespace from group.partial
    entries = list(dict.fromkeys(re.sub(r"\s+", "", v) for v in _string_list("group_partial", value)))
    entries = [e for e in entries if e]
    for entry in entries:
        if _partial_op(entry) is None:
            # lavaan: a string that matches no parameter is silently ignored
            raise ValueError(f"The 'group_partial' parameter of fit must list single parameters as 'f1=~x2', 'y~x', "
                             f"'x1~~x2', 'x1~1' or 'x1|t1'. Got {entry!r} instead.")
    if not entries:
        return ()
    if group is None:
        raise ValueError(f"The 'group_partial' parameter of fit ({entries!r}) needs the 'group' parameter and "
                         "'group_equal' (it frees parameters from cross-group constraints; lavaan ignores it "
                         "without them).")
    for entry in entries:
        kinds = _PARTIAL_KINDS[_partial_op(entry)]
        if not set(kinds) & set(group_equal):
            # lavaan: a partial entry no group.equal constraint covers is silently ignored
            raise ValueError(f"The 'group_partial' parameter of fit frees {entry!r} from 'group_equal', but "
                             f"group_equal={list(group_equal)!r} constrains no such parameter (it would need one of "
                             f"{_show(kinds)}); lavaan ignores such an entry.")
    return tuple(entries)


# ----------------------------------------------------------------------------------------
# standard errors, test and information: lav_options_check_se() and lav_options_set()


def _se_alias(se: str | None, information: str | None) -> tuple[str | None, str | None]:
    """se='observed'/'expected'/'first.order' mean standard SEs from that information (lavaan's
    lav_options_check_se)."""
    if se in SE_INFORMATION:
        if information is not None and information != se:
            # lavaan: the se value silently overrides information
            raise ValueError(f"The 'se' parameter of fit is {se!r} (lavaan's shorthand for se='standard', "
                             f"information={se!r}) but the 'information' parameter is {information!r}; pass one "
                             "of them.")
        return "standard", se
    return se, information


def _check_se_value(se: str | None) -> None:
    if se is None or se == "robust" or se in SE_VALUES:
        return
    if se in OTHER_SE:
        raise _not_available(f"se={se!r}")
    raise _choice_error("se", se, SE_VALUES + ("robust",))


def _check_test_value(test: str | None, estimator: str, available: tuple[str, ...]) -> None:
    if test is not None and test not in available:
        raise ValueError(f"The 'test' parameter of fit is {test!r}, which is not available with estimator "
                         f"{estimator} in this version; use one of {_show(available)}, or leave out 'test'.")


def _inference_ordinal(estimator: str, se, test, information, asked) -> tuple[str, str, str]:
    se, information = _se_alias(se, information)
    _check_se_value(se)
    # lavaan: WLSMV/ULSMV accept se in {none, standard, robust, robust.sem} (and bootstrap, external)
    if se in ("robust.huber.white", "robust.cluster"):
        raise ValueError(f"The 'se' parameter of fit cannot be {asked!r} with estimator {estimator} (nor in lavaan); "
                         "use se='robust.sem' (the default), or leave out 'se'.")
    if se == "standard":
        raise ValueError(f"The 'se' parameter of fit cannot be {asked!r} with estimator {estimator} in this "
                         "version (lavaan's non-robust DWLS/ULS standard errors are not available); use "
                         "se='robust.sem' (the default), or leave out 'se'.")
    se = "robust.sem" if se in (None, "robust") else se
    # lavaan: test= is added to the estimator's scaled-shifted test; "standard" is always reported
    if test == "none":
        raise _not_available(f"test='none' with estimator {estimator}")
    _check_test_value(test, estimator, ("standard", "scaled.shifted"))
    test = "scaled.shifted"
    if information not in (None, "expected"):
        # lavaan: warns "information will be set to expected for estimator = DWLS" and does so
        raise ValueError(f"The 'information' parameter of fit must be 'expected' with estimator {estimator} (lavaan "
                         f"warns and uses the expected information for DWLS/ULS). Got {information!r} instead.")
    return se, test, "expected"


def _inference_continuous(estimator: str, se, test, information, cluster, asked) -> tuple[str, str, str]:
    se, information = _se_alias(se, information)
    _check_se_value(se)
    if test == "none":
        raise _not_available("test='none'")
    if cluster is not None and (estimator in SECOND_ORDER or test in SECOND_ORDER.values()):
        # lavaan 0.6.14: ML with cluster stops ("`test' argument must one of "none", "yuan.bentler",
        # "yuan.bentler.mplus" or "satorra.bentler" in the clustered case"); MLMV/MLMVS with cluster
        # silently switch to robust.cluster SEs and add the Yuan-Bentler test
        name = f"estimator={estimator!r}" if estimator in SECOND_ORDER else f"test={test!r}"
        raise ValueError(f"{name} with 'cluster' is refused: lavaan 0.6.14 allows only the Yuan-Bentler or "
                         "Satorra-Bentler test in the clustered case (with MLMV/MLMVS it silently replaces the "
                         "standard errors by robust.cluster and adds the Yuan-Bentler test). Use estimator='MLR' "
                         "with 'cluster'.")
    if cluster is not None and (estimator == "MLM" or se == "robust.sem" or test == "satorra.bentler"):
        # lavaan: MLM (or robust.sem) with cluster is se="robust.cluster.sem"
        raise ValueError("MLM-type standard errors and the Satorra-Bentler test with 'cluster' (lavaan's "
                         "robust.cluster.sem) are not available in this version; use estimator='MLR' with 'cluster'.")
    if estimator in LEAST_SQUARES:
        # lavaan 0.6.14 on continuous data: se="standard", test="standard", information "expected"
        if cluster is not None:
            # lavaan 0.6.14 stops too: for ULS and DWLS 'information = "first.order" not available for
            # estimator ULS', for GLS and WLS 'invalid value(s) in test= argument when estimator is GLS:
            # yuan.bentler.mplus' (cluster asks for cluster-robust SEs and the Yuan-Bentler test)
            reason = ("its cluster-robust standard errors need the first-order information, which lavaan does "
                      f"not have for {estimator}" if estimator in ("ULS", "DWLS") else
                      f"the Yuan-Bentler test that 'cluster' asks for is not defined for {estimator}")
            raise ValueError(f"estimator={estimator!r} with 'cluster' is refused, as lavaan 0.6.14 refuses it "
                             f"({reason}); use estimator='MLR' with 'cluster' (cluster-robust standard errors "
                             "and test), or a two-level model (level: blocks).")
        if se not in (None, "standard", "none"):
            raise ValueError(f"The 'se' parameter of fit must be one of {_show(('standard', 'none'))} with "
                             f"estimator={estimator!r} in this version. Got {asked!r} instead.")
        _check_test_value(test, estimator, ("standard",))
        if information not in (None, "expected"):
            raise ValueError(f"The 'information' parameter of fit must be 'expected' with estimator={estimator!r} "
                             f"in this version. Got {information!r} instead.")
        se, test = se or "standard", "standard"
    elif estimator == "MLM":
        # lavaan: MLM is ML with se="robust.sem" and test="satorra.bentler" (test="standard" adds the
        # standard test beside it, which is always reported); se="standard" or "none" allowed
        if se == "robust":
            se = "robust.sem"
        if se not in (None, "robust.sem", "standard", "none"):
            raise ValueError(f"The 'se' parameter of fit must be one of {_show(('robust.sem', 'standard', 'none'))} "
                             f"with estimator='MLM'. Got {asked!r} instead.")
        _check_test_value(test, estimator, ("standard", "satorra.bentler"))
        se, test = se or "robust.sem", "satorra.bentler"
    elif estimator in SECOND_ORDER:
        # lavaan: MLMV is ML with se="robust.sem" and test="scaled.shifted", MLMVS the same with
        # test="mean.var.adjusted" (test="standard" adds the standard test, which is always reported)
        own = SECOND_ORDER[estimator]
        if se == "robust":
            se = "robust.sem"
        if se not in (None, "robust.sem", "standard", "none"):
            # lavaan also takes robust.huber.white (then with the observed information); not computed here
            raise ValueError(f"The 'se' parameter of fit must be one of {_show(('robust.sem', 'standard', 'none'))} "
                             f"with estimator={estimator!r} in this version. Got {asked!r} instead.")
        _check_test_value(test, estimator, ("standard", own))
        se, test = se or "robust.sem", own
    elif cluster is not None:
        if estimator == "MLR":
            # lavaan: MLR with cluster sets se="robust.cluster" and test="yuan.bentler.mplus" whatever was asked
            if se not in (None, "robust", "robust.cluster"):
                raise ValueError(f"The 'se' parameter of fit is {asked!r} with estimator='MLR' and 'cluster'; lavaan "
                                 "silently replaces it by 'robust.cluster'. Leave out 'se', or use estimator='ML' "
                                 "(which allows se='none').")
            if test not in (None, "yuan.bentler.mplus"):
                raise ValueError(f"The 'test' parameter of fit is {test!r} with estimator='MLR' and 'cluster'; lavaan "
                                 "silently replaces it by 'yuan.bentler.mplus'. Leave out 'test', or use "
                                 "estimator='ML' with test='standard' for the unscaled test only.")
            se, test = "robust.cluster", "yuan.bentler.mplus"
        else:
            # lavaan: se must be none, robust.cluster or robust.cluster.sem in the clustered case; "robust" is
            # robust.cluster; the default test is yuan.bentler.mplus (beside standard), test="standard" allowed
            if se in ("standard", "robust.huber.white"):
                raise ValueError(f"The 'se' parameter of fit must be one of {_show(('robust.cluster', 'none'))} "
                                 f"with 'cluster' (as in lavaan). Got {asked!r} instead.")
            se = "robust.cluster" if se in (None, "robust") else se
            _check_test_value(test, estimator, ("standard", "yuan.bentler.mplus"))
            test = test or "yuan.bentler.mplus"
    else:
        if se == "robust.cluster":
            # lavaan: accepted without cluster, giving robust.sem-like SEs
            raise ValueError("The 'se' parameter of fit is 'robust.cluster', which needs the 'cluster' parameter (the "
                             "column of cluster ids); lavaan would silently compute other standard errors without it.")
        if se == "robust":
            se = "robust.sem"  # lavaan: se="robust" with ML or MLR (complete data) is the MLM standard errors
        if se is None:
            se = "standard" if estimator == "ML" else "robust.huber.white"
        if estimator == "ML":
            # lavaan: test="yuan.bentler.mplus" with ML computes it beside the standard test
            # ... and test="scaled.shifted" or "mean.var.adjusted" (MLMV's and MLMVS's tests) beside it too
            _check_test_value(test, estimator, ("standard", "satorra.bentler", "yuan.bentler.mplus", "scaled.shifted",
                                                "mean.var.adjusted"))
            test = test or "standard"
        else:
            if test == "standard":
                # lavaan: test= is added to MLR's own test, ("yuan.bentler.mplus", "standard"), and with two tests
                # lavaan computes the scaled one from the h1 observed information, a different statistic
                raise ValueError("The 'test' parameter of fit cannot be 'standard' with estimator='MLR' in this "
                                 "version: lavaan still reports MLR's Yuan-Bentler test then, computed another way. "
                                 "Leave out 'test' (the standard chi-square is reported beside the scaled one), or "
                                 "use estimator='ML' for the standard test only.")
            _check_test_value(test, estimator, ("yuan.bentler.mplus",))
            test = "yuan.bentler.mplus"
    # lavaan: the default information is observed for sandwich SEs (robust.huber.white; robust.cluster with
    # ML-family estimators), else expected (se="none" and se="standard" included)
    if information is None:
        information = "observed" if se in ("robust.huber.white", "robust.cluster") else "expected"
    if information == "observed" and (se == "robust.sem" or test in GAMMA_TESTS):
        # lavaan then takes the h1 weights from the observed information too; not computed here
        raise ValueError("The 'information' parameter of fit cannot be 'observed' with MLM-type standard errors "
                         f"(se='robust.sem') or the {'Satorra-Bentler' if test == 'satorra.bentler' else test} test "
                         "in this version; leave out 'information' (lavaan's default for them is 'expected').")
    if information == "first.order":
        if se not in ("standard", "none"):
            # lavaan: "information must be either expected or observed if robust standard errors are requested"
            # (it checks robust.huber.white and robust.sem; robust.cluster is refused here as well)
            raise ValueError(f"The 'information' parameter of fit must be 'expected' or 'observed' with se={se!r} "
                             "(robust standard errors), as in lavaan. Got 'first.order' instead.")
        if test != "standard":
            # lavaan: "... if robust test statistics are requested"
            raise ValueError(f"The 'information' parameter of fit must be 'expected' or 'observed' with "
                             f"test={test!r} (a robust test), as in lavaan. Got 'first.order' instead.")
    return se, test, information
