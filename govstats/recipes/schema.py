"""What a recipe may say: its top-level keys, the analyses and every option each one takes.

One table, read by the loader (which refuses anything not in it, with a suggestion) and by
the README. An option is ``name: Option(kind, default, allowed)``; the kinds are checked by
:mod:`govstats.recipes.load`.
"""

from __future__ import annotations

from dataclasses import dataclass

ESTIMATORS = ("ML", "MLR", "MLM", "MLMV", "MLMVS", "GLS", "WLS", "DWLS", "ULS", "WLSMV", "ULSMV")
MISSING = ("listwise", "pairwise", "fiml", "fiml.x")
CI_TYPES = ("perc", "bc", "bca", "norm", "basic")


@dataclass(frozen=True)
class Option:
    """One option of a recipe section.

    ``kind`` is one of ``int`` (whole number >= ``low``), ``number``, ``share`` (in (0, 1]),
    ``bool``, ``text``, ``choice`` (one of ``allowed``), ``ints`` (a list of whole numbers >=
    ``low``) or ``texts`` (a list of text).
    """

    kind: str
    default: object = None
    allowed: tuple = ()
    low: int = 1
    help: str = ""


TOP_LEVEL = ("title", "instrument", "data", "simulate", "exclude", "score", "check", "seed", "analyses")
REQUIRED = ("instrument", "analyses")

DATA = {
    "file": Option("text", help="a response file (CSV, XLSX, XLS, SAV; Kobo or Wenjuanxing exports)"),
    "files": Option("texts", help="several response files of the same instrument, stacked in this order"),
    "encoding": Option("text", help="text encoding of CSV files (default: detected)"),
    "source": Option("choice", "auto", ("auto", "wenjuanxing", "generic")),
    "mapping": Option("text", help="a file mapping Wenjuanxing headers to column ids"),
}

SIMULATE = {
    "n": Option("int", None, low=2, help="respondents"),
    "seed": Option("int", None, low=0),
    "communities": Option("int", 30),
    "districts": Option("int", 3),
    "missing": Option("number", 0.0, help="share of item cells left blank"),
    "missing_mechanism": Option("choice", "MCAR", ("MCAR", "MAR")),
    "careless": Option("number", 0.0),
    "speeders": Option("number", 0.0),
}

# exclusion rules: the data check's flags (govstats.check_responses) a recipe may exclude by
FLAGS = {
    "flagged": "flagged",  # any reason
    "long_string": "flag_long_string",
    "low_irv": "flag_low_irv",
    "mahalanobis": "flag_mahalanobis",
    "attention_check": "flag_attention_check",
    "speeder": "flag_speeder",
    "too_much_missing": "flag_too_much_missing",
    "duplicate_ip": "flag_duplicate_ip",
    "no_consent": "flag_no_consent",
    "empty_row": "flag_empty_row",
}

SCORE = {
    "min_answered": Option("share", 2 / 3, help="share of a construct's items needed for a score"),
}

CHECK = {
    "thresholds": Option("mapping", None, help="careless-respondent thresholds, NAME: VALUE"),
}

ANALYSES = {
    "efa": {
        "n_factors": Option("int", None, help="default: parallel analysis"),
        "method": Option("choice", "minres", ("minres", "ml", "principal")),
        "rotation": Option("choice", "oblimin", ("oblimin", "promax", "varimax", "geomin", "none")),
        "seed": Option("int", None, low=0, help="of the parallel analysis (default: the recipe's seed)"),
    },
    "reliability": {
        "level": Option("number", 0.95, help="confidence level of alpha's interval"),
    },
    "validity": {},
    "fit": {
        "estimator": Option("choice", None, ESTIMATORS),
        "ordered": Option("bool", False, help="the Likert items as ordinal (WLSMV)"),
        "missing": Option("choice", "listwise", MISSING),
        "cluster": Option("text", help="column of communities: cluster-robust SEs"),
        "std_lv": Option("bool", False),
        "path_diagram": Option("bool", True, help="write path_diagram.svg"),
        "lang": Option("choice", "en", ("en", "zh"), help="labels of the path diagram"),
    },
    "effects": {
        "bootstrap": Option("int", 0, low=0, help="draws (0: Monte Carlo intervals)"),
        "ci": Option("choice", None, CI_TYPES + ("monte_carlo",)),
        "seed": Option("int", None, low=0, help="default: the recipe's seed"),
        "estimator": Option("choice", None, ESTIMATORS),
        "ordered": Option("bool", False, help="the Likert items as ordinal (WLSMV; each draw recomputes stage 1)"),
        "missing": Option("choice", "listwise", MISSING),
        "cluster": Option("text", help="column of communities: whole communities resampled"),
    },
    "invariance": {
        "group": Option("text", help="column of groups (district, role)"),
        "estimator": Option("choice", None, ESTIMATORS),
        "ordered": Option("bool", False),
        "levels": Option("texts", None),
        "partial": Option("texts", ()),
        "missing": Option("choice", "listwise", MISSING),
    },
    "multilevel": {
        "cluster": Option("text", "community_id"),
        "mixed": Option("bool", False, help="also the MixedLM ICC (about 0.1 s per construct and item)"),
        "level": Option("number", 0.95),
    },
    "power": {
        "n": Option("ints", (300, 600), low=10),
        "reps": Option("int", 20),
        "seed": Option("int", None, low=0, help="default: the recipe's seed"),
        "estimator": Option("choice", None, ESTIMATORS),
        "cluster_size": Option("int", None),
        "targets": Option("texts", None, help="paths 'Y~X' and indirect effects 'X -> M -> Y'"),
        "plot": Option("bool", True, help="write power.svg"),
    },
    "report": {
        "lang": Option("choice", "en", ("en", "zh")),
        "estimator": Option("choice", None, ("ML", "MLR", "WLSMV")),
        "bootstrap": Option("int", 0, low=0),
        "ci": Option("choice", None, CI_TYPES),
        "seed": Option("int", None, low=0, help="default: the recipe's seed"),
        "group": Option("text"),
        "cluster": Option("text"),
        "docx": Option("bool", False, help="also report.docx"),
    },
}

# the order analyses run and are written in, whatever the order in the file
ORDER = tuple(ANALYSES)
REQUIRED_OPTIONS = {"invariance": ("group",), "simulate": ("n", "seed")}
