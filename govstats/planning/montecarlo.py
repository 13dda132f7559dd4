"""Monte Carlo power (Muthen & Muthen 2002): draw samples from a population model, refit, count.

For each sample size and each target parameter: power (the share of replications whose Wald
test rejects at ``alpha``), the relative bias of the estimate and of its standard error, the
coverage of 95% intervals, convergence and inadmissible solutions; per sample size the
rejection rates of the model's chi-square test and the share of RMSEA above .05. Muthen and
Muthen's criteria are flagged, and the smallest N with power .80 is interpolated between the
simulated sizes with its Monte Carlo uncertainty.

Replications run on :mod:`govstats.parallel` (serial, local processes, Dask) in batches; each
``(n, rep)`` draws from its own seed stream (:func:`govstats.planning.replicate.task_seed`), so the
numbers are the same on any executor and with any number of workers. With ``resume=`` each
batch is saved to a Parquet file and a rerun does only the replications the file lacks.
"""

from __future__ import annotations

import hashlib
import math
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govstats.parallel import DaskExecutor, get_executor, seed_record
from govstats.planning.replicate import CONVERGED, replicate, task_seed

__all__ = ["PowerResult", "power"]

Z95 = 1.959963984540054
CRITERIA = {"bias": 0.10, "se_bias": 0.10, "coverage": (0.91, 0.98), "power": 0.80}
DEFAULT_BATCH = 200


@dataclass
class PowerResult:
    """A Monte Carlo power run.

    Attributes
    ----------
    replications : DataFrame
        One row per replication and target: ``n, rep, target, kind, truth, est, se, pvalue, status,
        admissible, chisq, chisq_pvalue, rmsea``. ``est``/``se`` are on the truth's scale
        (std.all for an instrument's population), ``pvalue`` is the Wald test of the raw estimate.
    summary : DataFrame
        One row per sample size and target: ``power``, its Monte Carlo SE, ``bias`` (relative),
        ``se_bias`` (relative to the SD of the estimates), ``coverage``, ``converged``,
        ``inadmissible``, and Muthen and Muthen's criteria (``*_ok``, ``criteria_met``).
    fit_tests : DataFrame
        Per sample size: ``chisq_reject`` (share of p < alpha) and ``rmsea_above_05``.
    required_n : DataFrame
        Per target: the smallest N with power >= ``target_power`` (interpolated), and the N at
        which the power curve +- 1.96 Monte Carlo SEs crosses it.
    settings : dict
    """

    replications: pd.DataFrame
    summary: pd.DataFrame
    fit_tests: pd.DataFrame
    required_n: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def plot(self, path=None, targets=None):
        """The power curves (matplotlib Figure); saved to ``path`` (.png or .svg) when given."""
        from govstats.planning.plot import power_plot

        return power_plot(self, path, targets)

    def __str__(self) -> str:
        s = self.settings
        lines = [f"Monte Carlo power: {s.get('reps')} replications at N = {', '.join(map(str, s.get('n', [])))}; "
                 f"estimator {s.get('estimator')}, alpha {s.get('alpha')}, seed {s.get('seed')}"]
        cols = ["n", "target", "truth", "power", "bias", "se_bias", "coverage", "converged", "criteria_met"]
        lines.append(self.summary[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        lines.append("")
        lines.append(self.fit_tests.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        lines.append("")
        lines.append(f"Smallest N with power >= {s.get('target_power')} (95% Monte Carlo range):")
        shown = self.required_n.copy()
        for col in ("n_required", "n_low", "n_high"):
            shown[col] = [("" if np.isnan(v) else f"{v:.0f}") for v in shown[col]]
        lines.append(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return "\n".join(lines)

    __repr__ = __str__


def _sizes(n) -> list[int]:
    values = [n] if isinstance(n, (int, np.integer)) and not isinstance(n, bool) else list(n)
    ok = values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 2 for v in values)
    if not ok:
        raise ValueError(f"The 'n' parameter of power must be an integer >= 2 or a list of them. Got {n!r} instead.")
    return sorted(set(int(v) for v in values))


def _check(name: str, value, low: float, high: float, integer: bool = False):
    bad = isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
    bad = bad or not (low <= value <= high) or (integer and float(value) != int(value))
    if bad:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"The '{name}' parameter of power must be {kind} in [{low}, {high}]. Got {value!r} instead.")


def _settings(model, design, seed, alpha, missing, careless, cluster_size, communities, standardized) -> dict:
    if hasattr(model, "constructs"):
        source = f"instrument {model.id} {getattr(model, 'version', '')}"
    else:
        source = model
    o = design.options
    return {"model": hashlib.sha256(source.encode("utf-8")).hexdigest()[:16] if len(source) > 200 else source,
            "analysis": design.syntax, "estimator": o.estimator, "ordered": o.ordered if o.ordered is None
            or isinstance(o.ordered, bool) else sorted(o.ordered), "missing_method": o.missing, "se": o.se,
            "missing": missing, "careless": careless, "cluster_size": cluster_size, "communities": communities,
            "standardized": standardized, "seed": seed_record(seed) if not isinstance(seed, int) else seed,
            "alpha": alpha, "targets": [t.name for t in design.targets]}


def _rows(task, design, result) -> list[dict]:
    n, rep, _ = task
    return [{"n": n, "rep": rep, "target": t.name, "kind": t.kind, "truth": t.truth, "est": float(result["est"][j]),
             "se": float(result["se"][j]), "pvalue": float(result["pvalue"][j]), "status": result["status"],
             "admissible": result["admissible"], "chisq": result["chisq"], "chisq_pvalue": result["chisq_pvalue"],
             "rmsea": result["rmsea"]} for j, t in enumerate(design.targets)]


def _is_client(target) -> bool:
    return type(target).__name__ == "Client" and type(target).__module__.startswith("distributed")


def _progress(total: int):
    if total == 0 or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="power", unit="rep", leave=False)


def summarize(replications: pd.DataFrame, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary per n and target, fit tests per n) of a replications table."""
    out = []
    for (n, target), g in replications.groupby(["n", "target"], sort=False):
        ok = g[g.status == CONVERGED]
        truth = float(g.truth.iloc[0])
        est, se = ok.est.to_numpy(), ok.se.to_numpy()
        reps = len(ok)
        power = float(np.mean(ok.pvalue < alpha)) if reps else np.nan
        sd = float(np.std(est, ddof=1)) if reps > 1 else np.nan
        mean = float(np.mean(est)) if reps else np.nan
        bias = (mean - truth) / truth if truth != 0 and np.isfinite(truth) else np.nan
        se_bias = (float(np.mean(se)) - sd) / sd if reps > 1 and sd > 0 else np.nan
        coverage = float(np.mean(np.abs(est - truth) <= Z95 * se)) if reps and np.isfinite(truth) else np.nan
        out.append({"n": int(n), "target": target, "kind": g.kind.iloc[0], "truth": truth, "reps": len(g),
                    "converged": reps / len(g), "inadmissible": float(np.mean(~ok.admissible.astype(bool))) if reps
                    else np.nan, "power": power, "power_mcse": math.sqrt(power * (1 - power) / reps) if reps else np.nan,
                    "mean_est": mean, "bias": bias, "sd_est": sd, "mean_se": float(np.mean(se)) if reps else np.nan,
                    "se_bias": se_bias, "coverage": coverage})
    summary = pd.DataFrame(out).sort_values(["target", "n"], kind="stable").reset_index(drop=True)
    low, high = CRITERIA["coverage"]
    summary["bias_ok"] = summary.bias.abs() < CRITERIA["bias"]
    summary["se_bias_ok"] = summary.se_bias.abs() < CRITERIA["se_bias"]
    summary["coverage_ok"] = summary.coverage.between(low, high)
    summary["power_ok"] = summary.power >= CRITERIA["power"]
    # a zero truth has no relative bias: the criterion is then about SEs, coverage and power only
    summary["criteria_met"] = ((summary.bias_ok | summary.truth.eq(0)) & summary.se_bias_ok & summary.coverage_ok
                               & summary.power_ok)
    per_rep = replications.drop_duplicates(["n", "rep"])
    fits = []
    for n, g in per_rep.groupby("n"):
        ok = g[g.status == CONVERGED]
        fits.append({"n": int(n), "reps": len(g), "converged": len(ok) / len(g),
                     "chisq_reject": float(np.mean(ok.chisq_pvalue < alpha)) if len(ok) else np.nan,
                     "rmsea_above_05": float(np.mean(ok.rmsea > 0.05)) if len(ok) else np.nan,
                     "mean_rmsea": float(ok.rmsea.mean()) if len(ok) else np.nan})
    return summary, pd.DataFrame(fits)


def _crossing(ns: np.ndarray, p: np.ndarray, target: float) -> float:
    """The N where the curve (ns, p) first reaches ``target``, linear between simulated sizes;
    NaN when it never does, the smallest size when it already does there."""
    above = np.flatnonzero(p >= target)
    if not len(above):
        return np.nan
    i = int(above[0])
    if i == 0:
        return float(ns[0])
    n0, n1, p0, p1 = ns[i - 1], ns[i], p[i - 1], p[i]
    return float(n0 + (target - p0) * (n1 - n0) / (p1 - p0))


def required_sizes(summary: pd.DataFrame, target_power: float) -> pd.DataFrame:
    """Per target the interpolated smallest N with power >= ``target_power``, and its Monte Carlo
    range: where the curves power +- 1.96 MCSE cross (``at_or_below`` when the smallest size already
    has the power, ``not_reached`` when the largest does not)."""
    out = []
    for target, g in summary.groupby("target", sort=False):
        g = g.sort_values("n")
        ns, p, se = g.n.to_numpy(float), g.power.to_numpy(), g.power_mcse.to_numpy()
        n = _crossing(ns, p, target_power)
        note = "not reached" if np.isnan(n) else ("at or below the smallest N" if n == ns[0] else "")
        out.append({"target": target, "kind": g.kind.iloc[0], "truth": g.truth.iloc[0], "n_required": n,
                    "n_low": _crossing(ns, p + Z95 * se, target_power),
                    "n_high": _crossing(ns, p - Z95 * se, target_power), "note": note})
    return pd.DataFrame(out)


def power(model, n=(200, 300, 400, 500, 600, 700, 800, 900, 1000), reps: int = 1000, estimator: str | None = None,
          ordered=None, missing: float = 0.0, cluster_size: int | None = None, seed=1, executor=None,
          workers: int | None = None, *, alpha: float = 0.05, targets=None, target_power: float = 0.80,
          analysis: str | None = None, standardized: bool = False, missing_method: str | None = None,
          communities: int | None = None, careless: float = 0.0, resume=None, batch_size: int = DEFAULT_BATCH,
          **lavaan_options) -> PowerResult:
    """Monte Carlo power of a structural equation model, per sample size and target parameter.

    Parameters
    ----------
    model : Instrument or str
        An instrument (its own population: two-level Likert responses as :func:`govstats.simulate`
        draws them, with blanks, careless respondents and communities), or lavaan-style syntax with
        population values as ``lavaan::simulateData`` reads it (``f =~ 0.7*x1 + ...``; thresholds
        ``x1 | -0.5*t1 + 0.5*t2`` make ``x1`` ordered).
    n : int or list of int
        Sample sizes (respondents).
    reps : int
        Replications per sample size.
    estimator, ordered
        As :func:`govstats.fit` (e.g. ``estimator="WLSMV", ordered=True``).
    missing : float
        Share of item cells left blank (MCAR). Blanks are fitted by FIML with ML-family estimators and
        pairwise with WLSMV, unless ``missing_method`` says otherwise.
    cluster_size, communities : int, optional
        An instrument's respondents per community (communities = n / cluster_size), or a fixed number
        of communities; the fit then uses cluster-robust SEs (``cluster="community_id"``).
    seed : int or SeedSequence
        Replication ``rep`` at size ``n`` draws from its own stream of (seed, n, rep).
    executor, workers
        Where replications run (:func:`govstats.parallel.get_executor`): "serial", a number of local
        processes, a Dask scheduler address or Client / cluster. Default: every local core.
    alpha : float
        Level of the Wald tests and of the chi-square test.
    targets : list of str, optional
        Parameters to report (``"RIE~PE"``, a label, a := name, or an indirect path ``"GR -> PE -> RIE"``);
        default: every structural path and specific indirect effect.
    target_power : float
        The power the required N is reported for.
    analysis : str, optional
        The analysis model's syntax; default: the population syntax with its values freed (an
        instrument: its ``model_syntax()``).
    standardized : bool
        As simulateData's ``standardized``: residual variances that give every variable variance 1.
    careless : float
        An instrument's share of careless respondents.
    resume : path, optional
        A Parquet file: replications are saved to it after each batch, and those it already holds
        (from a run with the same settings) are not run again.
    batch_size : int
        Replications per batch (what an interruption can lose).
    **lavaan_options
        Further options of the analysis fit (``std_lv``, ``se``, ...).

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> from govstats.planning import power
    >>> pop = '''f1 =~ 0.7*x1 + 0.7*x2 + 0.7*x3
    ... f2 =~ 0.7*y1 + 0.7*y2 + 0.7*y3
    ... f2 ~ 0.3*f1'''
    >>> res = power(pop, n=[100, 200], reps=20, seed=1, executor="serial")
    >>> res.summary[["n", "target"]].values.tolist(), float(round(res.summary.truth[0], 6))
    ([[100, 'f2~f1'], [200, 'f2~f1']], 0.3)
    >>> sorted(res.replications.columns)[:4]
    ['admissible', 'chisq', 'chisq_pvalue', 'est']
    """
    sizes = _sizes(n)
    _check("reps", reps, 1, 10 ** 8, integer=True)
    _check("alpha", alpha, 1e-12, 0.5)
    _check("target_power", target_power, 0.01, 0.9999)
    _check("missing", missing, 0.0, 0.95)
    _check("careless", careless, 0.0, 1.0)
    _check("batch_size", batch_size, 1, 10 ** 8, integer=True)
    for name, value in (("cluster_size", cluster_size), ("communities", communities)):
        if value is not None:
            _check(name, value, 1, 10 ** 8, integer=True)
    if cluster_size is not None and communities is not None:
        raise ValueError("Give 'cluster_size' (respondents per community) or 'communities' (a fixed number), not both.")
    if not (isinstance(model, str) or hasattr(model, "constructs")):
        raise ValueError(f"The 'model' parameter of power must be an Instrument or lavaan-style syntax with "
                         f"population values. Got {type(model).__name__} instead.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        raise ValueError(f"The 'seed' parameter of power must be an int or a numpy SeedSequence. Got {seed!r} instead.")
    seed = int(seed) if isinstance(seed, (int, np.integer)) else seed
    from govstats.planning.design import build_design

    design = build_design(model, max(sizes), estimator, ordered, float(missing), missing_method, cluster_size,
                          communities, float(careless), targets, float(alpha), analysis, standardized, lavaan_options)
    settings = _settings(model, design, seed, float(alpha), float(missing), float(careless), cluster_size, communities,
                         standardized)
    stored = pd.DataFrame()
    if resume is not None:
        from govstats.planning.store import read_replications

        stored = read_replications(resume, settings)
    done = set(zip(stored.n, stored.rep)) if len(stored) else set()
    tasks = [(size, rep, task_seed(seed, size, rep)) for size in sizes for rep in range(int(reps))
             if (size, rep) not in done]
    runner = get_executor(executor, workers)
    client = None
    if isinstance(runner, DaskExecutor) and tasks and not _is_client(runner.target):
        # one client for every batch: the executor would connect anew for each (seconds apiece)
        from distributed import Client

        client = Client(runner.target, timeout="30s")
        runner = DaskExecutor(client)
    frames = [stored] if len(stored) else []
    bar = _progress(len(tasks))
    try:
        for start in range(0, len(tasks), int(batch_size)):
            batch = tasks[start:start + int(batch_size)]
            results = runner.map(replicate, design, batch)
            frames.append(pd.DataFrame([row for task, r in zip(batch, results) for row in _rows(task, design, r)]))
            if resume is not None:
                from govstats.planning.store import write_replications

                write_replications(resume, pd.concat(frames, ignore_index=True), settings)
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    everything = pd.concat(frames, ignore_index=True)
    wanted = everything[everything.n.isin(sizes) & (everything.rep < int(reps))]
    wanted = wanted.sort_values(["n", "rep"], kind="stable").reset_index(drop=True)
    summary, fit_tests = summarize(wanted, float(alpha))
    shown = settings | {"n": sizes, "reps": int(reps), "target_power": target_power, "df": design.df}
    return PowerResult(replications=wanted, summary=summary, fit_tests=fit_tests,
                       required_n=required_sizes(summary, target_power), settings=shown)
