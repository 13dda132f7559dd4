"""Building a Monte Carlo design: the analysis model, a warm start, the targets and their truth.

The truth a replication is compared with:

- a population from syntax: the analysis model fitted by ML to the population moments (to the
  latent responses' correlations when the data are ordered), so any parametrization of the
  analysis model (marker loadings, ``std_lv``) has its own true values, and a misspecified
  analysis model has the values it converges to;
- an instrument: its population parameters (:func:`govstats.data.truth.population_params`), on
  the standardized latent-response scale, so estimates are compared in their std.all form.

The warm start comes from a pilot fit on one large sample drawn with its own seed (not one of
the replications' streams).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from govstats._threads import single_threaded
from govstats.planning.population import Population, free_syntax, population_from_syntax
from govstats.planning.replicate import COMMUNITY_COLUMN, Design, Target, draw_sample
from govstats.sem.effects import structural_effects

__all__ = ["build_design", "population_fit", "target_name"]

PILOT_N = 1000
PILOT_SEED = 20260  # a stream of its own: never one of the replications'


def target_name(table: pd.DataFrame, row: int) -> str:
    """lavaan's name of a table row: ``RIE~PE``, ``IC=~IC2``, a := row by its name."""
    r = table.iloc[row]
    return str(r.lhs) if r.op == ":=" else f"{r.lhs}{r.op}{r.rhs}"


def _moments_statistics(sigma: np.ndarray, mu: np.ndarray, n: int):
    from govstats.sem.statistics import Moments, Statistics

    return Statistics(blocks=[Moments(n=n, mean=np.asarray(mu, float), cov=np.asarray(sigma, float), raw=None,
                                      logdet=float(np.linalg.slogdet(sigma)[1]))], group_labels=[None])


def population_fit(syntax: str, sigma: np.ndarray, mu: np.ndarray, names: list, n: int = 1000, std_lv: bool = False,
                   meanstructure: bool = False, formulas=None):
    """(bound model, optimum) of ``syntax`` fitted by ML to population moments (as a sample of size ``n``
    whose moments are exactly those: lavaan's ``sample.cov`` with ``sample.cov.rescale = FALSE``)."""
    from govstats.sem.esem import refuse_efa
    from govstats.sem.fit import estimate
    from govstats.sem.model import CompiledModel
    from govstats.sem.start import start_values

    compiled = CompiledModel(syntax, std_lv=std_lv, meanstructure=meanstructure, formulas=formulas)
    refuse_efa(compiled.formulas, "an analysis model")
    order = [names.index(v) for v in compiled.names.ov]
    missing = [v for v in compiled.names.ov if v not in names]
    if missing:
        raise ValueError(f"The analysis model's variables {missing} are not in the population.")
    bound = compiled.bind(_moments_statistics(sigma[np.ix_(order, order)], mu[order], n))
    with warnings.catch_warnings(), single_threaded():  # multi-threaded LAPACK: 61 ms calls, not 30 us
        warnings.simplefilter("ignore")
        opt = estimate(bound, start_values(bound))
    return bound, opt


def _targets(table: pd.DataFrame, wanted) -> list[tuple[str, tuple, str]]:
    """(name, rows, kind): by default every structural path (a free regression) and specific indirect
    effect; else the rows and indirect paths named in ``wanted``."""
    free = table.free.to_numpy()
    paths = [(target_name(table, k), (k,), "path") for k in np.flatnonzero((table.op == "~").to_numpy() & (free > 0))]
    indirect = [(e["path"], tuple(e["terms"][0]), "indirect") for e in structural_effects(table)
                if e["effect"] == "indirect"]
    if wanted is None:
        out = paths + indirect
        if not out:
            raise ValueError("The model has no structural paths; name the parameters to test with 'targets' "
                             "(e.g. targets=['f=~x2']).")
        return out
    names = {target_name(table, k): k for k in range(len(table)) if free[k] > 0 or table.op.iat[k] == ":="}
    labels = {str(l): k for k, l in enumerate(table.label) if l and not str(l).startswith(".")}
    chains = {name: (rows, kind) for name, rows, kind in indirect}
    out = []
    for w in wanted:
        key = str(w).replace(" ", "")
        if key in names or key in labels:
            k = names.get(key, labels.get(key))
            out.append((target_name(table, k), (k,), "path" if table.op.iat[k] == "~" else "parameter"))
        elif str(w) in chains:
            out.append((str(w), *chains[str(w)]))
        else:
            known = list(names) + list(chains)
            raise ValueError(f"The 'targets' parameter names {w!r}, which is not a free parameter, := row or "
                             f"indirect path of the analysis model; some of those: {known[:12]}.")
    return out


def _truth_from_population(syntax, population: Population, ordered: bool, options) -> dict:
    """Target name -> true value: the analysis model fitted to the population (ML, exact moments)."""
    from govstats.sem.standardize import row_values_batch

    sigma, mu = population.sigma, population.mu
    if ordered:  # the latent responses' correlations: what the polychorics estimate
        sigma, _ = population.correlation()
        mu = np.zeros_like(mu)
    bound, opt = population_fit(syntax, sigma, mu, population.names, std_lv=bool(options.std_lv))
    values = row_values_batch(bound, opt.theta[None, :])[0]
    t = bound.model.table
    return {target_name(t, k): float(values[k]) for k in range(len(t))} | {"__fmin": opt.fmin}


def _truth_from_instrument(instrument) -> dict:
    from govstats.data.truth import population_params

    p = population_params(instrument)
    return {f"{r.lhs}{r.op}{r.rhs}": float(r.est) for r in p.itertuples()}


def build_design(model, n_max: int, estimator, ordered, missing_rate: float, missing_method, cluster_size,
                 communities, careless: float, targets, alpha: float, analysis: str | None, standardized: bool,
                 lavaan_options: dict):
    """(Design, description) for :func:`govstats.planning.power`; see there for the arguments."""
    from govstats.sem.fit import compile_model, estimate
    from govstats.sem.inference import infer
    from govstats.sem.options import normalize_options
    from govstats.sem.prepare import threshold_counts
    from govstats.sem.start import start_values

    is_instrument = hasattr(model, "constructs")
    clustered = cluster_size is not None or communities is not None
    if is_instrument:
        population = None
        syntax = analysis or model.model_syntax()
        levels = {item.id: list(item.scale.codes) for c in model.constructs for item in c.items}
    else:
        if clustered or careless:
            raise ValueError("'cluster_size', 'communities' and 'careless' apply to an instrument's population; a "
                             "population from syntax draws independent respondents.")
        population = population_from_syntax(model, standardized=standardized)
        syntax = analysis or free_syntax(model)
        levels = None
        if ordered is None and population.thresholds:
            ordered = sorted(population.thresholds)
    method = missing_method
    if method is None:
        method = "listwise"
        if missing_rate > 0:
            method = "pairwise" if ordered is not None and estimator in (None, "WLSMV", "ULSMV") else "fiml"
    options = normalize_options(estimator=estimator, ordered=ordered, missing=method,
                                cluster=COMMUNITY_COLUMN if clustered else None, **lavaan_options)
    simulate_options = {}
    if is_instrument:
        simulate_options = {"missing": missing_rate, "careless": careless}
        if cluster_size is not None:
            simulate_options["cluster_size"] = cluster_size
        elif communities is not None:
            simulate_options["communities"] = int(communities)
    design = Design(population=population, instrument=model if is_instrument else None,
                    simulate_options=simulate_options, missing_rate=0.0 if is_instrument else missing_rate,
                    syntax=syntax, options=options, levels=levels, compiled=None, start=None, targets=[], df=np.nan,
                    alpha=alpha, standardized=is_instrument, fast=False)
    design.fast = (not is_instrument and not population.thresholds and missing_rate == 0 and ordered is None
                   and options.estimator == "ML" and options.se == "standard" and options.test == "standard"
                   and options.information == "expected" and not options.auxiliary)
    pilot = draw_sample(Design(**{**design.__dict__, "fast": False}), max(n_max, PILOT_N),
                    np.random.default_rng(PILOT_SEED))
    with warnings.catch_warnings(), single_threaded():
        warnings.simplefilter("ignore")
        compiled, statistics = compile_model(syntax, pilot, options, levels)
        if design.fast and compiled.constraints is not None:
            design.fast = False
        bound = compiled.bind(statistics)
        opt = estimate(bound, start_values(bound))
        if not opt.converged:
            raise ValueError("The analysis model did not converge on a large pilot sample from the population; check "
                             "that it is identified and that the population values are admissible.")
        inf = infer(bound, opt, options)
    design.compiled, design.start = compiled, opt
    design.df = float(inf.fit_measures.get("df", np.nan))
    design.thresholds = threshold_counts(statistics) if compiled.is_ordinal else None
    table = compiled.table
    design.variance_rows = np.flatnonzero(((table.op == "~~") & (table.lhs == table.rhs) & (table.free > 0)).to_numpy())
    if is_instrument:
        truth = _truth_from_instrument(model)
    else:
        truth = _truth_from_population(syntax, population, options.ordered is not None, options)
    chosen = []
    for name, rows, kind in _targets(table, targets):
        parts = [target_name(table, k) for k in rows]
        values = [truth.get(p, np.nan) for p in parts]
        chosen.append(Target(name=name, rows=tuple(int(k) for k in rows), kind=kind, truth=float(np.prod(values))))
    design.targets = chosen
    return design
