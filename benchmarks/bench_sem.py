"""Benchmark: SEM fit time of govstats against lavaan (when Rscript is present) and semopy.

Same data, same run, same machine; the ratio is what counts (wall and CPU time, medians) (SEM issue: govstats ML and
MLR at most 0.1x lavaan's time). Each timing is the median of repeated fits; govstats and
lavaan are timed with everything a user gets from one call (estimates, SEs, fit
measures, standardized solution); semopy with its fit and inspect.

    python benchmarks/bench_sem.py [--repeat 15] [--no-r] [--items-per-factor 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from govstats import fit, load_instrument, simulate
from govstats.resources import seed_instrument_path

R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
model <- paste(readLines(args[1]), collapse = "\n")
data <- read.csv(args[2])
reps <- as.integer(args[3])
time_it <- function(expr) {
  wall <- cpu <- numeric(reps)
  for (i in seq_len(reps)) {
    t <- system.time(eval(expr))
    wall[i] <- t[["elapsed"]]
    cpu[i] <- t[["user.self"]] + t[["sys.self"]]
  }
  c(median(wall), median(cpu))
}
ml <- time_it(quote({f <- sem(model, data = data); fitMeasures(f); standardizedSolution(f)}))
mlr <- time_it(quote({f <- sem(model, data = data, estimator = "MLR"); fitMeasures(f); standardizedSolution(f)}))
cat(sprintf('{"ML": %f, "MLR": %f, "ML_cpu": %f, "MLR_cpu": %f, "version": "%s"}\n', ml[1], mlr[1],
            ml[2], mlr[2], as.character(packageVersion("lavaan"))))
"""


def median_time(fn, repeat: int, clock=time.perf_counter) -> float:
    fn()  # warm up (imports, first-call caches)
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def lavaan_times(syntax: str, data: pd.DataFrame, repeat: int) -> dict | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        model, csv, script = Path(tmp) / "model.lav", Path(tmp) / "data.csv", Path(tmp) / "bench.R"
        model.write_text(syntax, encoding="utf-8")
        data.to_csv(csv, index=False)
        script.write_text(R_SCRIPT, encoding="utf-8")
        out = subprocess.run([rscript, str(script), str(model), str(csv), str(repeat)], capture_output=True,
                             text=True, timeout=1800)
    if out.returncode != 0:
        print(f"  lavaan run failed: {out.stderr.strip()[:300]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def semopy_time(syntax: str, data: pd.DataFrame, repeat: int) -> float:
    import semopy

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = semopy.Model(syntax)
            model.fit(data)
            model.inspect()
    return median_time(run, repeat)


def warm_refit_ms(syntax: str, frame: pd.DataFrame, repeat: int) -> float:
    """Median time of govstats.sem.fit.refit on resamples, warm-started from the full-sample estimate
    (the model compiled once; statistics computed outside the timing, as a bootstrap does)."""
    import numpy as np

    from govstats.sem.fit import compile_model, refit
    from govstats.sem.options import normalize_options
    from govstats.sem.prepare import moment_statistics

    compiled, stats = compile_model(syntax, frame, normalize_options())
    first = refit(compiled, stats)
    rng = np.random.default_rng(1)
    samples = [moment_statistics(frame.iloc[rng.integers(0, len(frame), len(frame))].reset_index(drop=True),
                                 compiled.observed) for _ in range(max(repeat, 20))]
    for s in samples[:3]:
        refit(compiled, s, start=first)  # warm up
    times = []
    for s in samples:
        start = time.perf_counter()
        refit(compiled, s, start=first)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-r", action="store_true", help="skip lavaan even if Rscript is present")
    parser.add_argument("--items-per-factor", type=int, default=None,
                        help="cut each construct to its first N items (3: the engine issue's 30-item model)")
    args = parser.parse_args()

    inst = load_instrument(seed_instrument_path("ri_asset"))  # 41 items, 10 factors, 9 paths
    data = simulate(inst, 1000, seed=1).responses
    if args.items_per_factor:
        from bench_wlsmv import benchmark_model  # the same cut as the WLSMV benchmark

        syntax, items = benchmark_model(args.items_per_factor)
    else:
        syntax, items = inst.model_syntax(), [i.id for i in inst.items]
    frame = data[items].astype(float)
    print(f"SEM benchmark: {inst.id}, {len(items)} items, {len(inst.constructs)} factors, "
          f"{len(inst.model.paths)} paths, N = {len(frame)}; median of {args.repeat} runs")
    ours = {est: median_time(lambda: fit(syntax, frame, estimator=est), args.repeat) for est in ("ML", "MLR")}
    # CPU time too: on a shared 2-core machine wall time varies with the load, CPU time less.
    ours_cpu = {est: median_time(lambda: fit(syntax, frame, estimator=est), args.repeat, time.process_time)
                for est in ("ML", "MLR")}
    refit_ms = warm_refit_ms(syntax, frame, args.repeat)
    try:
        sem_ml = semopy_time(syntax, frame, args.repeat)
    except ImportError:
        sem_ml = None  # semopy is in the "bench" extra
    lav = None if args.no_r else lavaan_times(syntax, frame, args.repeat)
    for est in ("ML", "MLR"):
        line = f"  {est:4s} govstats {ours[est]:.3f} s"
        if lav:
            line += (f" | lavaan {lav[est]:.3f} s | ratio {ours[est] / lav[est]:.3f} (target <= 0.1)"
                     f" | CPU: {ours_cpu[est]:.3f} s vs {lav[est + '_cpu']:.3f} s, ratio "
                     f"{ours_cpu[est] / lav[est + '_cpu']:.3f}")
        if est == "ML" and sem_ml:
            line += f" | semopy {sem_ml:.3f} s | ratio {ours[est] / sem_ml:.2f}"
        print(line)
    print(f"  warm-started estimates-only refit on a bootstrap resample: {refit_ms:.2f} ms (target <= 5 ms)")
    if lav is None:
        print("  lavaan: Rscript not found (or --no-r); ratios against lavaan not measured in this run")
    else:
        print(f"  lavaan {lav['version']}")


if __name__ == "__main__":
    main()
