"""Nonparametric bootstrap of a fitted model: resample, recompute the statistics, refit.

Each draw resamples respondents (whole clusters when the fit has ``cluster``; within each
group with ``group``), recomputes the statistics layer on the resample and refits the compiled
model from the original estimate and its curvature (:func:`govstats.sem.fit.refit`). The
statistics come from :func:`govstats.sem.fit.compile_model` on the resampled rows, so every
kind of data the engine fits (ML moments, stage-1 WLSMV/ULSMV statistics recomputed per draw,
least squares, FIML once it lands) is bootstrapped the same way; complete-data ML-family fits
take a shortcut to the same moments (:func:`govstats.sem.prepare.moment_statistics`) because
recompiling the model would cost more than the refit.

Each draw computes its parameters, every row's value (``:=`` rows included) and the
standardized solution at its own estimate (re-standardized per draw, not the delta method),
with its own fixed.x moments. Draws that fail (a resample whose statistics cannot be computed,
an ordered item with an empty category, which would change the thresholds the model has) or
do not converge are counted, reported and left out, never silently.

Draws run on :mod:`govstats.parallel` with one ``SeedSequence`` child per draw, so serial,
process and Dask runs give identical numbers.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govstats._threads import single_threaded
from govstats.parallel import run, seed_record
from govstats.sem.distributions import norm_sf
from govstats.sem.intervals import bootstrap_se, interval, jackknife_acceleration
from govstats.sem.standardize import row_values_batch, standardize_batch

__all__ = ["BootstrapResult", "bootstrap_fit", "refit_rows", "warm_start"]

CONVERGED = "ok"
# The optimizer's step tolerance for a draw's refit (the fit's is 1e-9). On 100 resamples of the
# 30-item, 10-factor benchmark SEM (N = 1000), warm-started as warm_start does: 6.7 iterations and
# 2.0 ms CPU a refit against 9.3 and 2.8 ms, and the estimates within 2.4e-7 of those refitted at
# 1e-12 (4e-8 at 1e-7; stacked refits, govstats.sem.batch_refit: 4.2e-7): far inside a draw's Monte
# Carlo error, and closer to the optimum than lavaan's own draws stop (the refits of lavaan's
# resamples match its draws to 1.4e-4).
DRAW_TOLERANCE = 1e-6
BATCH = 50  # draws refitted together (govstats.sem.batch_refit); the executor's tasks are batches


@dataclass
class BootstrapResult:
    """The draws of a bootstrapped fit (``SEMResults.bootstrap``).

    Attributes
    ----------
    requested : int
        Draws asked for.
    status : list of str
        Per draw: ``"ok"``, ``"not converged"``, or why it failed.
    values, std_all : array (successful draws x table rows)
        Every parameter-table row's value and standardized (std.all) value in each successful draw.
    jackknife_values, jackknife_std : array or None
        Leave-one-out (leave-one-cluster-out) values for BCa intervals.
    ci : str
        The interval type of ``params.ci_lower``/``ci_upper``.
    seed : int or str
        The root ``SeedSequence``'s entropy (``fit(..., seed=<this>)`` repeats the draws), or the
        text of a spawned one (see :func:`govstats.parallel.seed_record`).
    bollen_stine_pvalue : float or None
        With ``test="bollen.stine"``: the share of draws on model-transformed data whose
        chi-square exceeds the fit's.
    """

    requested: int
    status: list
    values: np.ndarray
    std_all: np.ndarray
    ci: str
    seed: int | str
    names: list = field(default_factory=list)
    rows: np.ndarray | None = None
    jackknife_values: np.ndarray | None = None
    jackknife_std: np.ndarray | None = None
    bollen_stine_pvalue: float | None = None
    bollen_stine_draws: int = 0

    @property
    def successful(self) -> int:
        return int(sum(s == CONVERGED for s in self.status))

    @property
    def failures(self) -> dict:
        """Why draws were left out, with their counts."""
        return dict(Counter(s for s in self.status if s != CONVERGED))

    def draws(self) -> pd.DataFrame:
        """One row per draw: ``status``, then each free and defined parameter, then their
        standardized values (``std.all:<name>``); NaN in draws that were left out."""
        ok = np.array([s == CONVERGED for s in self.status])
        out = pd.DataFrame({"status": self.status})
        out.index.name = "draw"
        columns = {}
        for k, name in enumerate(self.names):
            col = np.full(len(ok), np.nan)
            col[ok] = self.values[:, self.rows[k]]
            columns[name] = col
        for k, name in enumerate(self.names):
            col = np.full(len(ok), np.nan)
            col[ok] = self.std_all[:, self.rows[k]]
            columns[f"std.all:{name}"] = col
        return pd.concat([out, pd.DataFrame(columns, index=out.index)], axis=1)

    def line(self) -> str:
        """The summary's line about the draws."""
        failed = ", ".join(f"{n} {why}" for why, n in sorted(self.failures.items()))
        text = (f"Bootstrap: {self.successful} of {self.requested} draws used"
                + (f" (left out: {failed})" if failed else "") + f"; intervals: {self.ci}; seed {self.seed}")
        if self.bollen_stine_pvalue is not None:
            text += (f"\nBollen-Stine bootstrap p-value: {self.bollen_stine_pvalue:.3f} "
                     f"({self.bollen_stine_draws} draws)")
        return text


@dataclass
class _Payload:
    """What every draw needs; sent to each worker once."""

    syntax: str
    options: object
    levels: dict | None
    compiled: object
    start: object
    frame: pd.DataFrame
    units: list  # per group: a list of row-position arrays (one per respondent or cluster)
    observed: list
    fast: bool
    thresholds: dict | None  # ordered item -> thresholds in the fit (a resample must keep them all)
    x: np.ndarray | None = None  # the observed columns as floats (the moments-only path)
    labels: list | None = None  # the groups' labels in lavaan's order
    rows: list | None = None  # per group, the row positions of its units in order (without clusters)
    curvature: np.ndarray | None = None  # with it, refits stacked (govstats.sem.batch_refit)
    exogenous: bool = False  # fixed.x rows, whose values differ from draw to draw


def _payload(syntax, options, levels, compiled, start, frame, observed, thresholds, labels=None,
             bound=None) -> _Payload:
    """``labels``: the fit's groups in its order (default: first appearance in ``frame``); ``bound``:
    the fit's bound model, whose curvature at ``start`` lets the draws be refitted together."""
    fast = _moments_only(options)
    if labels is None:
        labels = [None] if options.group is None else list(pd.unique(frame[options.group]))
    units = _units(frame, options, labels)
    from govstats.sem.batch_refit import BatchML

    return _Payload(syntax=syntax, options=options, levels=levels, compiled=compiled, start=start, frame=frame,
                    units=units, observed=observed, fast=fast, thresholds=thresholds,
                    x=frame[observed].to_numpy(dtype=float) if fast else None, labels=labels,
                    rows=[np.concatenate(u) if u else np.zeros(0, dtype=int) for u in units],
                    curvature=_curvature(bound, start) if fast and bound is not None and BatchML.supports(compiled)
                    else None, exogenous=bool(compiled.row_map.exo.any()))


def _curvature(bound, start):
    """The inverse expected information of F at the start, where every stacked refit's BFGS begins
    (it depends on the model-implied moments only: one serves every draw)."""
    from govstats.sem.objectives import objective_for

    theta = start.theta if hasattr(start, "theta") else np.asarray(start, dtype=float)
    hess = objective_for(bound).evaluate(theta)[2]
    try:
        return np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return None


def _resample(payload: _Payload, rng: np.random.Generator) -> list:
    """A resample: per group, respondents (or clusters) drawn with replacement, as row arrays.

    Without clusters every unit is one row, and a group's drawn rows come as one array (the
    same draws): a list of N one-row arrays and their concatenation cost 0.4 ms a draw."""
    if payload.options.cluster is None:
        return [[rows[rng.integers(0, len(rows), len(rows))]] for rows in payload.rows]
    return [[units[u] for u in rng.integers(0, len(units), len(units))] for units in payload.units]


def _frame(payload: _Payload, pieces: list) -> pd.DataFrame:
    """The rows of ``pieces`` (one array per unit) as a data frame; with clusters each piece is
    its own cluster, so a cluster drawn twice counts as two."""
    frame = payload.frame.iloc[np.concatenate(pieces)].reset_index(drop=True)
    if payload.options.cluster is not None:
        frame[payload.options.cluster] = np.repeat(np.arange(len(pieces)), [len(p) for p in pieces])
    return frame


def _moments_only(options) -> bool:
    """Complete-data ML-family fits need only the moments (what compile_model computes for them)."""
    from govstats.sem.continuous_wls import WLS_ESTIMATORS

    return options.ordered is None and options.missing == "listwise" and options.estimator not in WLS_ESTIMATORS


def _statistics(payload: _Payload, grouped: list):
    """The statistics of the resample ``grouped`` (per group, a list of row arrays).

    Complete-data ML-family fits: the moments straight from the float matrix, with
    moment_statistics' checks (a pandas frame per draw cost 2.4 ms, more than many refits);
    a test checks that they equal compile_model's. Everything else: compile_model on the rows.
    """
    if not payload.fast:
        from govstats.sem.fit import compile_model

        frame = _frame(payload, [rows for pieces in grouped for rows in pieces])
        return compile_model(payload.syntax, frame, payload.options, payload.levels)[1]
    from govstats.sem.statistics import Moments, Statistics

    blocks, first_cluster = [], 0
    for label, pieces in zip(payload.labels, grouped):
        x = payload.x[np.concatenate(pieces)]
        where = "" if label is None else f" in group {label!r}"
        if len(x) <= x.shape[1]:
            raise ValueError(f"only {len(x)} rows{where} for {x.shape[1]} variables")
        cluster = None
        if payload.options.cluster is not None:  # each drawn cluster is its own cluster
            cluster = np.repeat(np.arange(first_cluster, first_cluster + len(pieces)), [len(p) for p in pieces])
            first_cluster += len(pieces)
        if _has_constant_column(x):
            raise ValueError(f"a variable is constant in the resample{where}")
        blocks.append(Moments.from_rows(x, cluster, label))
    return Statistics(blocks=blocks, group_labels=list(payload.labels))


def _has_constant_column(x: np.ndarray) -> bool:
    """Whether a column of ``x`` is constant: compared exactly, where x.std() == 0 could miss one
    (the mean of equal values can be an ulp off) and took 90 us a draw against 42 us."""
    return bool((x == x[0]).all(axis=0).any())


def _refit_frame(payload: _Payload, grouped: list):
    """(status, row values, std.all values, chi-square) of the model refitted on the rows ``grouped``."""
    from govstats.sem.fit import refit

    # one BLAS thread for the whole draw, not only the refit: workers share the cores, and the
    # statistics and standardization of each draw otherwise ran multi-threaded in every worker
    with warnings.catch_warnings(), single_threaded():
        warnings.simplefilter("ignore")  # stage-1 notes per draw; failures are classified below
        try:
            statistics = _statistics(payload, grouped)
        except (ValueError, np.linalg.LinAlgError) as exc:
            return f"failed: {str(exc).split(';')[0][:120]}", None, None, np.nan
        if payload.thresholds is not None and not _same_thresholds(payload.thresholds, statistics):
            return "failed: an ordered item has an empty category in the resample", None, None, np.nan
        opt = refit(payload.compiled, statistics, payload.start, tol=DRAW_TOLERANCE)
        if not opt.converged:
            return "not converged", None, None, np.nan
        bound = payload.compiled.bind(statistics)
        theta = opt.theta[None, :]
        values = row_values_batch(bound, theta)
        std = standardize_batch(bound, theta, "std.all", values=values.copy())
        return CONVERGED, values[0], std[0], statistics.ntotal * opt.fmin


def _same_thresholds(expected: dict, statistics) -> bool:
    from govstats.sem.prepare import threshold_counts

    try:
        return threshold_counts(statistics) == expected
    except ValueError:  # groups that differ in their categories
        return False


def _bootstrap_draws(payload: _Payload, seeds: list):
    """The draws of a batch of seeds (one task: see BATCH)."""
    return _refit_many(payload, [_resample(payload, np.random.default_rng(seed)) for seed in seeds])


def _jackknife_draws(payload: _Payload, units: list):
    """The fits without one respondent (or cluster) each, ``unit = (group, index)``."""
    return _refit_many(payload, [[[rows for k, rows in enumerate(group_units) if (g, k) != unit]
                                  for g, group_units in enumerate(payload.units)] for unit in units])


def _refit_many(payload: _Payload, resamples: list) -> list:
    """(status, row values, std.all values, chi-square) per resample: complete-data ML-family
    draws of models without constraints refitted together (govstats.sem.batch_refit), the others
    one by one (:func:`_refit_frame`)."""
    from govstats.sem.batch_refit import BatchML

    if not payload.fast or payload.curvature is None:
        return [_refit_frame(payload, grouped) for grouped in resamples]
    out: list = [None] * len(resamples)
    bounds, where = [], []
    with warnings.catch_warnings(), single_threaded():
        warnings.simplefilter("ignore")
        for k, grouped in enumerate(resamples):
            try:
                bounds.append(payload.compiled.bind(_statistics(payload, grouped)))
                where.append(k)
            except (ValueError, np.linalg.LinAlgError) as exc:
                out[k] = (f"failed: {str(exc).split(';')[0][:120]}", None, None, np.nan)
        if not bounds:
            return out
        start = payload.start.theta if hasattr(payload.start, "theta") else np.asarray(payload.start, dtype=float)
        theta, fmin, converged, _ = BatchML(bounds).minimize(start, payload.curvature, DRAW_TOLERANCE)
        ok = np.flatnonzero(converged)
        if payload.exogenous:  # fixed.x rows hold each draw's own sample moments
            tables = [_tables(bounds[i], theta[i:i + 1]) for i in ok]
            values = np.vstack([t[0] for t in tables]) if tables else None
            std = np.vstack([t[1] for t in tables]) if tables else None
        elif len(ok):
            values, std = _tables(bounds[0], theta[ok])
        for j, i in enumerate(ok):
            out[where[i]] = (CONVERGED, values[j], std[j], bounds[i].statistics.ntotal * fmin[i])
        for i in np.flatnonzero(~converged):
            out[where[i]] = ("not converged", None, None, np.nan)
    return out


def _tables(bound, thetas: np.ndarray):
    values = row_values_batch(bound, thetas)
    return values, standardize_batch(bound, thetas, "std.all", values=values.copy())


def refit_rows(results, data: pd.DataFrame, rows) -> np.ndarray:
    """Every parameter-table row's value after refitting ``results``' model on ``data.iloc[rows]``:
    what one bootstrap draw computes, for given rows (e.g. another program's resample).

    Raises ``RuntimeError`` naming the reason when the refit fails or does not converge.

    Examples
    --------
    >>> import pandas as pd
    >>> from govstats import fit
    >>> from govstats.resources import instruments_dir
    >>> data = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> res = fit("AU =~ AU1 + AU2 + AU3 + AU4", data)
    >>> same = refit_rows(res, data, range(len(data)))
    >>> bool(np.allclose(same[:4], res.params.est[:4], atol=1e-6))
    True
    """
    from govstats.sem.options import normalize_options

    options = normalize_options(**results.options)
    compiled = results._bound.model
    observed = list(compiled.names.ov)
    columns = list(dict.fromkeys(observed + [c for c in (options.group, options.cluster) if c is not None]))
    frame = data[columns].iloc[np.asarray(rows)].reset_index(drop=True)
    payload = _payload(results.syntax, options, None, compiled, results._theta, frame, observed, None,
                       labels=list(results.group_labels) if options.group is not None else None)
    status, values, _, _ = _refit_frame(payload, payload.units)
    if status != CONVERGED:
        raise RuntimeError(f"The refit on these rows {status}.")
    return values


def _used_rows(data: pd.DataFrame, observed: list, options) -> np.ndarray:
    """The rows the fit used: complete cases with listwise deletion, else every row with an answer."""
    x = data[observed].to_numpy(dtype=float, na_value=np.nan) if len(observed) else np.empty((len(data), 0))
    seen = ~np.isnan(x)
    keep = seen.all(axis=1) if options.missing == "listwise" else seen.any(axis=1)
    for column in (options.group, options.cluster):
        if column is not None:
            keep &= data[column].notna().to_numpy()
    return np.flatnonzero(keep)


def _units(frame: pd.DataFrame, options, labels: list) -> list:
    """Per group (in the order of ``labels``), the resampling units as row positions."""
    if options.group is None:
        groups = [np.arange(len(frame))]
    else:
        column = frame[options.group].to_numpy()
        groups = [np.flatnonzero(column == label) for label in labels]
    out = []
    for rows in groups:
        if options.cluster is None:
            out.append([rows[i:i + 1] for i in range(len(rows))])
        else:
            ids = frame[options.cluster].to_numpy()[rows]
            out.append([rows[ids == c] for c in pd.unique(ids)])
    return out


def _bollen_stine_frame(frame: pd.DataFrame, observed: list, bound, theta, options) -> pd.DataFrame:
    """The data rotated to fit the model exactly (Bollen and Stine 1992): per group,
    z = (x - xbar) S^-1/2 Sigma^1/2 + mu, with the model-implied Sigma and mu."""
    out = frame.copy()
    out[observed] = out[observed].astype(float)
    column = frame[options.group].to_numpy() if options.group is not None else None
    labels = pd.unique(column) if column is not None else [None]
    for g, label in enumerate(labels):
        rows = np.arange(len(frame)) if label is None else np.flatnonzero(column == label)
        x = frame[observed].to_numpy(dtype=float)[rows]
        sigma, mu = bound.blocks[g].implied(theta)[:2]
        centered = x - x.mean(axis=0)
        s = centered.T @ centered / len(x)
        out.loc[out.index[rows], observed] = centered @ _sqrt_inv(s) @ _sqrt(sigma) + (
            mu if bound.model.meanstructure else x.mean(axis=0))
    return out


def _sqrt(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(m)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def _sqrt_inv(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(m)
    return (v / np.sqrt(w)) @ v.T


def run_bootstrap(syntax, data, options, levels, compiled, bound, opt, chisq: float | None = None,
                  executor=None, workers=None) -> BootstrapResult:
    """The bootstrap draws of a fit (see the module docstring); ``chisq`` is the fit's statistic
    for the Bollen-Stine p-value."""
    observed = list(compiled.names.ov)
    columns = list(dict.fromkeys(observed + [c for c in (options.group, options.cluster) if c is not None]))
    frame = data[columns].iloc[_used_rows(data, observed, options)].reset_index(drop=True)
    thresholds = None
    if compiled.is_ordinal:
        from govstats.sem.prepare import threshold_counts

        thresholds = threshold_counts(bound.statistics)
    opt = warm_start(bound, opt)
    payload = _payload(syntax, options, levels, compiled, opt, frame, observed, thresholds, bound=bound)
    root = options.seed if isinstance(options.seed, np.random.SeedSequence) else np.random.SeedSequence(options.seed)
    se_draws = options.se == "bootstrap"
    seeds = root.spawn(options.bootstrap)  # the SE draws first: the same whether or not Bollen-Stine runs too
    status, values, std = [], np.empty((0, len(compiled.table))), np.empty((0, len(compiled.table)))
    if se_draws:
        draws = _flat(run(_bootstrap_draws, payload, _batches(seeds), executor=executor, workers=workers,
                          desc=f"bootstrap ({BATCH} draws a batch)", unit="batch"))
        status = [d[0] for d in draws]
        values = np.array([d[1] for d in draws if d[0] == CONVERGED]).reshape(-1, len(compiled.table))
        std = np.array([d[2] for d in draws if d[0] == CONVERGED]).reshape(-1, len(compiled.table))
    result = BootstrapResult(requested=options.bootstrap if se_draws else 0, status=status, values=values,
                             std_all=std, ci=options.ci or "perc", seed=seed_record(root))
    if se_draws and options.ci == "bca":
        units = [(g, k) for g, u in enumerate(payload.units) for k in range(len(u))]
        jack = _flat(run(_jackknife_draws, payload, _batches(units), executor=executor, workers=workers,
                         desc=f"jackknife ({BATCH} fits a batch)", unit="batch"))
        bad = [d[0] for d in jack if d[0] != CONVERGED]
        if bad:
            raise RuntimeError(f"BCa intervals need every leave-one-out fit; {len(bad)} of {len(jack)} failed "
                               f"({Counter(bad).most_common(1)[0][0]}). Use ci='bc' or 'perc'.")
        result.jackknife_values = np.array([d[1] for d in jack])
        result.jackknife_std = np.array([d[2] for d in jack])
    if options.test == "bollen.stine":
        rotated = _bollen_stine_frame(frame, observed, bound, opt.theta, options)
        bs_payload = _payload(syntax, options, levels, compiled, opt, rotated, observed, thresholds, bound=bound)
        bs = _flat(run(_bootstrap_draws, bs_payload, _batches(root.spawn(options.bootstrap)), executor=executor,
                       workers=workers, desc=f"Bollen-Stine ({BATCH} draws a batch)", unit="batch"))
        stats = np.array([d[3] for d in bs if d[0] == CONVERGED])
        result.bollen_stine_draws = len(stats)
        result.bollen_stine_pvalue = float(np.mean(stats > chisq)) if len(stats) else float("nan")
    return result


def _batches(tasks: list) -> list:
    """Tasks in batches of BATCH, the same whatever the executor (so the numbers are too)."""
    return [tasks[i:i + BATCH] for i in range(0, len(tasks), BATCH)]


def _flat(batches: list) -> list:
    return [draw for batch in batches for draw in batch]


def warm_start(bound, opt):
    """Every draw's warm start: the fit's estimates, for ML without BFGS's last curvature, so that
    each refit takes the optimizer's two Fisher scoring steps from there.

    The scoring steps' information used to cost 1.0 ms each on the 30-item, 10-factor benchmark SEM
    (q = 70); built from small products (RAMModel.covariance_information) it costs 0.13 ms. Then
    (N = 1000, 100 draws) a refit took 9.4 iterations and 11.6 evaluations of F against 15.4 and
    18.8 from BFGS's approximation (12.8 and 15.9 from the inverse expected information at the
    estimates), 3.3 ms CPU against 4.1 ms, with the same estimates within the optimizer's tolerance.
    Models with constraints (whose optimizer works on reduced parameters) and other objectives keep the
    optimizer's approximation. (Draws that are refitted together, govstats.sem.batch_refit, start from
    the inverse expected information instead: see BatchML.minimize.)"""
    from govstats.sem.objectives import MLObjective, objective_for

    if bound.model.constraints is not None or not isinstance(objective_for(bound), MLObjective):
        return opt
    return dataclasses.replace(opt, inverse_hessian=None)


def bootstrap_tables(results, boot: BootstrapResult, level: float = 0.95) -> None:
    """Bootstrap SEs, z, p-values and intervals into ``results.params`` and
    ``results.standardized``, and the draws' covariance into ``results.vcov`` (as lavaan)."""
    bound = results._bound
    table = bound.model.table
    params = results.params
    shown = table.op.isin(set(params.op)).to_numpy()
    if shown.sum() != len(params):
        raise RuntimeError("the parameter table and params are out of step")
    free = table.free.to_numpy()
    estimated = (free > 0) | (table.op.to_numpy() == ":=")
    est_values = row_values_batch(bound, results._theta[None, :])[0]
    est_std = standardize_batch(bound, results._theta[None, :], "std.all")[0]
    boot.rows = np.flatnonzero(estimated & shown & _first_of_each_free(free))
    boot.names = _row_names(table, boot.rows)
    if boot.successful < 2:
        raise RuntimeError(f"Only {boot.successful} of {boot.requested} bootstrap draws succeeded "
                           f"({boot.failures}); no bootstrap standard errors can be computed.")
    for kind, draws, estimate, jack, target in (
            ("raw", boot.values, est_values, boot.jackknife_values, params),
            ("std", boot.std_all, est_std, boot.jackknife_std, results.standardized)):
        se = bootstrap_se(draws)
        accel = jackknife_acceleration(jack) if jack is not None else None
        lower, upper = interval(draws, estimate, boot.ci, level, accel)
        use = estimated if kind == "raw" else estimated | np.isfinite(estimate) & (np.nan_to_num(se) > 1e-12)
        se = np.where(use, se, 0.0)
        lower, upper = np.where(use, lower, estimate), np.where(use, upper, estimate)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(use & (se > 0), estimate / se, np.nan)
        target["se"] = se[shown]
        target["z"] = z[shown]
        target["pvalue"] = 2 * norm_sf(np.abs(z[shown]))
        target["ci_lower"] = lower[shown]
        target["ci_upper"] = upper[shown]
    thetas = boot.values[:, _free_rows(table)]
    results._vcov = np.cov(thetas, rowvar=False, ddof=0).reshape(len(_free_rows(table)), -1)


def bootstrap_intervals(results, level: float) -> pd.DataFrame:
    """The fit's bootstrap intervals (its ``ci`` type) of the free and defined parameters at
    ``level``: what ``SEMResults.conf_int`` gives after ``se="bootstrap"`` (as lavaan's
    ``parameterEstimates(level = )``)."""
    boot = results.bootstrap
    table = results._bound.model.table
    shown = table.op.isin(set(results.params.op)).to_numpy()
    estimate = row_values_batch(results._bound, results._theta[None, :])[0]
    accel = jackknife_acceleration(boot.jackknife_values) if boot.jackknife_values is not None else None
    lower, upper = interval(boot.values, estimate, boot.ci, level, accel)
    p = results.params
    keep = ((p.free > 0) | (p.op == ":=")).to_numpy()
    return pd.DataFrame({"lhs": p.lhs, "op": p.op, "rhs": p.rhs, "group": p.group, "est": p.est,
                         "ci_lower": lower[shown], "ci_upper": upper[shown]})[keep].reset_index(drop=True)


def _first_of_each_free(free: np.ndarray) -> np.ndarray:
    """Rows that are the first with their free number (equal parameters are listed once)."""
    seen, out = set(), np.zeros(len(free), dtype=bool)
    for i, f in enumerate(free):
        if f > 0 and f not in seen:
            seen.add(f)
            out[i] = True
        elif f <= 0:
            out[i] = True
    return out


def _free_rows(table) -> np.ndarray:
    """For each free parameter 1..q, the table row holding it."""
    free = table.free.to_numpy()
    q = int(free.max()) if len(free) else 0
    return np.array([int(np.flatnonzero(free == k)[0]) for k in range(1, q + 1)], dtype=int)


def _row_names(table, rows) -> list[str]:
    """lavaan's names: a label, else ``lhs op rhs`` (``.g2`` in later groups); := rows by name."""
    out = []
    for i in rows:
        r = table.iloc[i]
        if r.op == ":=":
            out.append(str(r.lhs))
            continue
        label = str(r.label) if r.label and not str(r.label).startswith(".") else ""
        name = label or f"{r.lhs}{r.op}{'' if r.op == '~1' else r.rhs}"
        out.append(name if r.group <= 1 or label else f"{name}.g{r.group}")
    return out


def bootstrap_fit(results, syntax, data, options, levels, compiled, bound, opt, executor=None,
                  workers=None):
    """Attach the bootstrap to a fit's results: ``results.bootstrap`` and the tables.

    Examples
    --------
    >>> import pandas as pd
    >>> from govstats import fit
    >>> from govstats.resources import instruments_dir
    >>> data = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> res = fit("AU =~ AU1 + AU2 + AU3 + AU4", data, bootstrap=50, seed=1, executor="serial")
    >>> res.bootstrap.successful, res.se_type
    (50, 'bootstrap')
    >>> res.bootstrap_draws().shape[0]
    50
    """
    chisq = results.fit_measures.get("chisq")
    boot = run_bootstrap(syntax, data, options, levels, compiled, bound, opt, chisq, executor, workers)
    if options.se == "bootstrap":
        bootstrap_tables(results, boot)
        failed = boot.requested - boot.successful
        if failed:
            results.warnings_.append(f"Note: {failed} of {boot.requested} bootstrap draws were left out "
                                     f"({', '.join(f'{n} {w}' for w, n in boot.failures.items())}).")
    if boot.bollen_stine_pvalue is not None:
        results.fit_measures["bollen_stine_pvalue"] = boot.bollen_stine_pvalue
    results.bootstrap = boot
    results.options["seed"] = boot.seed
    return results
