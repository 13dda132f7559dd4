"""One Monte Carlo replication: draw a sample from the population, refit, test the targets.

A :class:`Design` is everything replications share (sent to each worker once): where samples
come from (population moments of syntax, or an instrument's own simulation), the compiled
analysis model and a warm start, the targets and their true values. :func:`replicate` draws
the sample of one ``(n, rep)`` task from that task's own seed stream only, so a replication's
numbers do not depend on where, with which others or in which order it runs.

Complete continuous data fitted by ML take the short route of the bootstrap (moments from the
float matrix, the expected information, chi-square = N F); everything else (ordered items,
blanks, clusters, robust estimators, constraints) goes through the engine's own statistics
and inference, as ``fit()`` would.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from govstats._threads import single_threaded
from govstats.sem.distributions import norm_sf
from govstats.sem.standardize import delta_se, row_values_batch, standardize_batch

__all__ = ["Design", "Target", "draw_sample", "replicate", "task_seed", "COMMUNITY_COLUMN"]

CONVERGED = "ok"
FAST_TOL = 1e-7
COMMUNITY_COLUMN = "community_id"  # the community column of simulate()'s responses


@dataclass(frozen=True)
class Target:
    """A tested quantity: a parameter-table row, or a product of rows (a specific indirect effect)."""

    name: str
    rows: tuple  # table rows multiplied (one for a parameter)
    kind: str  # "path", "indirect", "parameter"
    truth: float


@dataclass
class Design:
    """What every replication shares."""

    population: object  # govstats.planning.population.Population or None
    instrument: object  # an Instrument or None
    simulate_options: dict  # simulate()'s communities, missing, careless for an instrument
    missing_rate: float  # blanks in a syntax population's draws
    syntax: str
    options: object  # FitOptions of the analysis
    levels: dict | None
    compiled: object
    start: object  # the pilot fit's Optimum: a warm start with its curvature
    targets: list
    df: float
    alpha: float
    standardized: bool  # the truth is on the std.all scale (an instrument's population)
    fast: bool
    thresholds: dict | None = None  # ordered item -> count in the compiled model
    variance_rows: np.ndarray | None = None


def task_seed(seed, n: int, rep: int) -> np.random.SeedSequence:
    """The stream of replication ``rep`` at sample size ``n``: a function of (seed, n, rep) only, so a
    resumed run, a run with other sizes and any executor draw the same sample for the same task."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=tuple(seed.spawn_key) + (int(n), int(rep)))
    return np.random.SeedSequence(seed, spawn_key=(int(n), int(rep)))


def draw_sample(design: Design, n: int, rng: np.random.Generator) -> pd.DataFrame | np.ndarray:
    """A sample: the float matrix on the short route, else a data frame as ``fit`` reads it."""
    if design.instrument is not None:
        from govstats.data.analysis_frame import analysis_frame
        from govstats.data.simulate import simulate

        options = dict(design.simulate_options)
        size = options.pop("cluster_size", None)
        if size is not None:
            options["communities"] = max(1, int(round(n / size)))
        sim = simulate(design.instrument, n, seed=int(rng.integers(2 ** 62)), **options)
        items = [i.id for i in design.instrument.items if i.id in sim.responses.columns]
        return analysis_frame(design.instrument, sim.responses, items, "power").data
    x = design.population.draw(n, rng)
    if design.missing_rate > 0:
        x[rng.random(x.shape) < design.missing_rate] = np.nan
    if design.fast:
        return x
    return pd.DataFrame(x, columns=design.population.names)


def _statistics(design: Design, sample):
    if design.fast:
        from govstats.sem.statistics import Moments, Statistics

        return Statistics(blocks=[Moments.from_rows(sample)], group_labels=[None])
    from govstats.sem.continuous_wls import WLS_ESTIMATORS
    from govstats.sem.fit import compile_model
    from govstats.sem.prepare import moment_statistics, threshold_counts

    o = design.options
    if o.ordered is None and o.missing == "listwise" and o.estimator not in WLS_ESTIMATORS:
        # what compile_model computes for these options, without compiling the model again
        return moment_statistics(sample, list(design.compiled.names.ov), None, o.cluster)
    compiled, statistics = compile_model(design.syntax, sample, design.options, design.levels)
    if design.thresholds is not None and threshold_counts(statistics) != design.thresholds:
        raise ValueError("an ordered item has an empty category in this sample")
    return statistics


@functools.lru_cache(maxsize=64)
def _factor_index(targets: tuple, n_rows: int) -> np.ndarray:
    """(targets x longest chain): each target's table rows, padded with ``n_rows`` (a column of ones)."""
    out = np.full((len(targets), max(len(t.rows) for t in targets)), n_rows)
    for j, t in enumerate(targets):
        out[j, :len(t.rows)] = t.rows
    return out


def _target_values(values: np.ndarray, targets: list) -> np.ndarray:
    """Targets (k x targets) from row values (k x rows): a row, or the product of a chain's rows.

    One product over a padded index (a column of ones after the rows): a loop over the targets
    cost 1.4 ms a replication (cProfile) with the paths and indirect effects of the 30-item benchmark SEM."""
    index = _factor_index(tuple(targets), values.shape[1])
    padded = np.concatenate([values, np.ones((len(values), 1))], axis=1)
    return np.prod(padded[:, index], axis=2)


def _product_se(design: Design, values: np.ndarray, vcov: np.ndarray) -> np.ndarray | None:
    """Delta-method SEs of targets that are free parameters or products of them (indirect effects),
    from the analytic gradient: d(prod v) / d v_j = the product of the others (prefix and suffix
    products of each chain, vectorized: a Python loop over the targets took 1.6 ms a replication in
    cProfile).
    None when a target uses a fixed or := row (then the numerical delta method)."""
    rows = design.compiled.row_map
    index = _factor_index(tuple(design.targets), len(values))
    real = index < len(values)
    if not rows.is_free[index[real]].all():
        return None
    factors = np.append(values, 1.0)[index]
    ones = np.ones((len(index), 1))
    before = np.cumprod(np.hstack([ones, factors[:, :-1]]), axis=1)
    after = np.cumprod(np.hstack([ones, factors[:, :0:-1]]), axis=1)[:, ::-1]
    grad = np.zeros((len(index), vcov.shape[0]))
    target = np.broadcast_to(np.arange(len(index))[:, None], index.shape)
    np.add.at(grad, (target[real], rows.index[index[real]]), (before * after)[real])
    # a BLAS product, not einsum over three operands (0.57 ms a replication in cProfile, q = 70)
    return np.sqrt(np.clip(np.sum((grad @ vcov) * grad, axis=1), 0.0, None))


def _inference(design: Design, bound, opt):
    """(vcov, chi-square, its p-value, RMSEA) of a refit."""
    from scipy.stats import chi2

    n = bound.statistics.ntotal
    if design.fast:
        from govstats.sem.ml_inference import expected_information

        info = expected_information(bound.blocks, bound.statistics.blocks, opt.theta, bound.model.meanstructure)
        vcov = np.linalg.inv(info) / n
        chisq = n * opt.fmin
        # lavaan's RMSEA: sqrt(max(chisq / N / df - 1 / N, 0)), N not N - 1
        rmsea = float(np.sqrt(max(chisq / n / design.df - 1.0 / n, 0.0))) if design.df > 0 else np.nan
        return vcov, chisq, float(chi2.sf(chisq, design.df)) if design.df > 0 else np.nan, rmsea
    from govstats.sem.inference import infer

    inf = infer(bound, opt, design.options)
    m = inf.fit_measures
    scaled = "chisq_scaled" in m and np.isfinite(m.get("chisq_scaled", np.nan))
    chisq = m.get("chisq_scaled") if scaled else m.get("chisq")
    pvalue = m.get("pvalue_scaled") if scaled else m.get("pvalue")
    rmsea = m.get("rmsea_robust", m.get("rmsea_scaled")) if scaled else m.get("rmsea")
    return inf.vcov, chisq, pvalue, (np.nan if rmsea is None else rmsea)


def _failed(design: Design, status: str) -> dict:
    k = len(design.targets)
    nan = np.full(k, np.nan)
    return {"status": status, "est": nan, "se": nan, "pvalue": nan, "chisq": np.nan, "chisq_pvalue": np.nan,
            "rmsea": np.nan, "admissible": False}


def _estimate(design: Design, statistics):
    """The refit from the pilot's estimates, with two scoring steps: fewer iterations (13.7 against
    21.4 on a 9-item model at N = 200) than a BFGS warm start with the pilot's curvature, whose
    sample differs. On the short route the steps stop at 1e-7 (relative) instead of fit()'s 1e-9:
    measured 8.7 against 10.4 iterations, estimates within 3e-8 of the strict ones, far below any
    Monte Carlo error. With the information from small products, two steps stay the best choice
    (30-item SEM, N = 500, 100 samples, CPU a refit): 9.6 iterations and 3.3 ms with two, 9.0 and
    3.4 ms with three, 9.1 and 3.8 ms with four, 17.4 and 4.4 ms for BFGS from the inverse expected
    information at the pilot's estimates (9-item SEM, N = 200: 11.2 and 2.3 ms, 9.9 and 2.3 ms,
    10.0 and 2.3 ms, 17.7 and 3.1 ms)."""
    from govstats.sem.fit import refit

    if not design.fast:
        return refit(design.compiled, statistics, design.start.theta)
    from govstats.sem.objectives import objective_for
    from govstats.sem.optimizer import minimize

    return minimize(objective_for(design.compiled.bind(statistics)), design.start.theta, tol=FAST_TOL)


def replicate(design: Design, task) -> dict:
    """One replication ``task = (n, rep, seed)``: per target the estimate and SE on the truth's scale
    and the Wald test's p-value of the raw estimate; the model's chi-square test and RMSEA."""
    from govstats.sem.fit import refit

    n, _, seed = task
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings(), single_threaded():
        warnings.simplefilter("ignore")  # estimation notes per replication; failures are classified below
        try:
            statistics = _statistics(design, draw_sample(design, n, rng))
        except (ValueError, np.linalg.LinAlgError) as exc:
            return _failed(design, f"failed: {str(exc).split(';')[0][:120]}")
        opt = _estimate(design, statistics)
        if not opt.converged:  # a sample far from the population: try fit()'s own starting values
            opt = refit(design.compiled, statistics)
        if not opt.converged:
            return _failed(design, "not converged")
        bound = design.compiled.bind(statistics)
        try:
            vcov, chisq, chisq_p, rmsea = _inference(design, bound, opt)
        except np.linalg.LinAlgError:
            vcov, chisq, chisq_p, rmsea = None, np.nan, np.nan, np.nan
        if vcov is None:
            return _failed(design, "singular information")
        theta = opt.theta
        values = row_values_batch(bound, theta[None, :])

        def raw(thetas):
            return _target_values(row_values_batch(bound, thetas), design.targets)

        raw_est = _target_values(values, design.targets)[0]
        raw_se = _product_se(design, values[0], vcov)
        if raw_se is None:
            raw_se = delta_se(raw, theta, vcov)
        if design.standardized:
            def std(thetas):
                return _target_values(standardize_batch(bound, thetas, "std.all"), design.targets)

            est, se = std(theta[None, :])[0], delta_se(std, theta, vcov)
        else:
            est, se = raw_est, raw_se
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(raw_se > 0, raw_est / raw_se, np.nan)
        variances = values[0, design.variance_rows] if design.variance_rows is not None else np.array([])
        return {"status": CONVERGED, "est": est, "se": se, "pvalue": 2 * norm_sf(np.abs(z)), "chisq": float(chisq),
                "chisq_pvalue": float(chisq_p), "rmsea": float(rmsea), "admissible": bool((variances >= 0).all())}
