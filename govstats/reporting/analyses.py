"""Every analysis a report shows, run once in the order a paper reports them."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

from govstats.reporting.hooks import analysis_function, as_frame

ESTIMATORS = ("ML", "MLR", "WLSMV")
CI_TYPES = ("perc", "bc", "bca", "norm", "basic")


@dataclass
class Analyses:
    """The results behind a report (each also usable on its own).

    ``used`` are the rows analysed (flagged respondents left out unless asked to keep them);
    ``effects_fit`` is the fit whose draws give the indirect effects' intervals (the main fit,
    or an ML bootstrap fit when the main estimator cannot be bootstrapped); ``extras`` maps
    ``invariance``, ``multilevel``, ``power`` to their tables when given; ``notes`` say what
    was done that a reader should know.
    """

    instrument: object
    data: pd.DataFrame
    used: pd.DataFrame
    check: object
    efa: object
    reliability: object
    harman: object
    fit: object
    effects_fit: object
    effects: pd.DataFrame
    settings: dict
    extras: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def _choice(name: str, value, allowed):
    if value not in allowed:
        raise ValueError(f"The '{name}' parameter of report must be one of {set(allowed)}. Got {value!r} instead.")
    return value


def _column(name: str, value, data: pd.DataFrame):
    if value is not None and value not in data.columns:
        raise ValueError(f"The '{name}' parameter of report names a column the data do not have: {value!r} "
                         f"(columns: {', '.join(map(str, data.columns[:12]))}{', ...' if data.shape[1] > 12 else ''}).")
    return value


def run_analyses(instrument, data: pd.DataFrame, *, estimator: str | None = None, bootstrap: int = 0,
                 seed: int | None = None, ci: str | None = None, group: str | None = None,
                 cluster: str | None = None, exclude_flagged: bool = True, results=None, check=None,
                 invariance=None, multilevel=None, power=None) -> Analyses:
    """Check, describe and model the responses; see :func:`govstats.report` for the parameters."""
    from govstats.data import check_responses
    from govstats.measurement import efa, harman, reliability
    from govstats.sem.fit import fit

    if estimator is not None:
        _choice("estimator", estimator, ESTIMATORS)
    if ci is not None:
        _choice("ci", ci, CI_TYPES)
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 0:
        raise ValueError(f"The 'bootstrap' parameter of report must be a non-negative int. Got {bootstrap!r} instead.")
    _column("group", group, data)
    _column("cluster", cluster, data)
    seed = 1 if seed is None else seed  # a report is rerun: its random draws are seeded
    notes: list[str] = []
    check = check if check is not None else check_responses(instrument, data)
    flagged = set(check.flagged["respondent_id"]) if exclude_flagged else set()
    rid = instrument.metadata.respondent_id
    used = data[~data[rid].isin(flagged)] if flagged and rid in data.columns else data
    items = [i.id for i in instrument.items if i.id in used.columns]
    blanks = bool(used[items].isna().to_numpy().any())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e = efa(used, instrument=instrument, seed=seed)
        rel = reliability(instrument, used)
        h = harman(used, model=instrument)
        if estimator is None:
            estimator = "MLR" if cluster else "ML"
        ordered = estimator == "WLSMV"
        missing = ("pairwise" if ordered else "fiml") if blanks else "listwise"
        draws = {"bootstrap": bootstrap, "seed": seed, "ci": ci or "perc"} if bootstrap else \
            {"ci": "monte_carlo", "seed": seed}
        if results is None:
            options = {"cluster": cluster} if cluster else {}
            if ordered:
                results = fit(instrument, used, ordered=True, missing=missing, **options)
            else:
                results = fit(instrument, used, estimator=estimator, missing=missing, **options, **draws)
        effects_fit = results
        boot = getattr(results, "bootstrap", None)
        has_draws = (boot is not None and boot.requested) or results.options.get("ci") == "monte_carlo"
        if not has_draws or (bootstrap and not (boot is not None and boot.requested)):
            # ordered items (or a fit given without draws): the intervals come from an ML fit with draws
            effects_fit = fit(instrument, used, estimator="ML", missing="fiml" if blanks else "listwise",
                              **({"cluster": cluster} if cluster and bootstrap else {}), **draws)
            notes.append("effects_ml")
        effects = effects_fit.effects()
    extras = {}
    for name, given, how in (("invariance", invariance, group), ("multilevel", multilevel, cluster),
                             ("power", power, None)):
        if given is None and how is not None:
            function = analysis_function(name)
            if function is None:
                notes.append(f"{name}_unavailable")
                continue
            try:
                if name == "invariance":  # estimated as the structural model is, so that the tables agree
                    given = function(instrument, used, group=how, estimator=results.estimator,
                                     ordered=True if ordered else None, missing=missing,
                                     **({"cluster": cluster} if cluster and results.estimator == "MLR" else {}))
                else:
                    given = function(instrument, used, cluster=how)
            except Exception as exc:  # noqa: BLE001 -- the report still shows everything else
                warnings.warn(f"{name} could not be computed for the report: {exc}", stacklevel=2)
                notes.append(f"{name}_failed")
                continue
        if given is not None:
            extras[name] = as_frame(given, name)
    for message in dict.fromkeys((str(w.message), w.category) for w in caught):
        warnings.warn(message[0], message[1], stacklevel=2)  # typed warnings reach the caller once each
    settings = {"estimator": results.estimator, "missing": results.options.get("missing", missing),
                "bootstrap": bootstrap, "seed": seed, "ci": effects_fit.options.get("ci"), "group": group,
                "cluster": cluster,
                "exclude_flagged": exclude_flagged, "blanks": blanks}
    fit_warnings = [str(w.message) for w in caught]
    return Analyses(instrument=instrument, data=data, used=used, check=check, efa=e, reliability=rel, harman=h,
                    fit=results, effects_fit=effects_fit, effects=effects, settings=settings, extras=extras,
                    notes=notes + [f"warning: {w}" for w in dict.fromkeys(fit_warnings)])
