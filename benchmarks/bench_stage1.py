"""Benchmark: stage 1 of ordinal SEM (thresholds, polychorics, Gamma) on 30 five-point items.

Issue 9: the whole WLSMV fit of a 30-item, 10-factor model with N = 1000 must take at most 0.1x
lavaan's time (lavaan 0.6.14: about 2.5 s); stage 1 is budgeted 0.06 s of it. The data: the
ri_asset instrument simulated with N = 1000 (seed 1), the first 3 items of each of its 10
constructs. Timed as the WLSMV fit runs it, under one BLAS thread
(``govstats._threads.single_threaded``); wall and CPU medians. With Rscript present, lavaan's
stage 1 on the same data is timed too: ``sem(<one factor>, ordered = <all>, estimator = "WLSMV",
do.fit = FALSE)`` computes the thresholds, polychorics and Gamma (its sample statistics) and
stops before estimating; ``lavInspect(fit, "gamma")`` reads Gamma.

    python benchmarks/bench_stage1.py [--repeat 30] [--no-r] [--missing pairwise]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from govstats import load_instrument, simulate
from govstats._threads import single_threaded
from govstats.measurement.polychoric import polychoric
from govstats.resources import seed_instrument_path
from govstats.sem.ordinal.stage1 import stage1

R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1])
reps <- as.integer(args[2])
missing <- args[3]
items <- names(data)
time_it <- function(expr) {
  wall <- cpu <- numeric(reps)
  for (i in seq_len(reps)) {
    t <- system.time(eval(expr))
    wall[i] <- t[["elapsed"]]
    cpu[i] <- t[["user.self"]] + t[["sys.self"]]
  }
  c(median(wall), median(cpu))
}
# stage 1 as sem(..., estimator = "WLSMV") runs it: thresholds, polychorics and Gamma
model <- paste("f =~", paste(items, collapse = " + "))
st <- time_it(quote({
  f <- sem(model, data = data, ordered = items, estimator = "WLSMV", missing = missing,
           do.fit = FALSE)
  lavInspect(f, "gamma")
}))
cat(sprintf('{"stage1": %f, "stage1_cpu": %f, "version": "%s"}\n', st[1], st[2],
            as.character(packageVersion("lavaan"))))
"""


def median_time(fn, repeat: int, clock=time.perf_counter) -> float:
    fn()  # warm up (imports, first-call caches)
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def lavaan_time(data: pd.DataFrame, repeat: int, missing: str) -> dict | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv, script = Path(tmp) / "data.csv", Path(tmp) / "bench.R"
        data.to_csv(csv, index=False, na_rep="NA")
        script.write_text(R_SCRIPT, encoding="utf-8")
        out = subprocess.run([rscript, str(script), str(csv), str(repeat), missing], capture_output=True,
                             text=True, timeout=1800)
    if out.returncode != 0:
        print(f"  lavaan run failed: {out.stderr.strip()[:300]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_data(n: int = 1000, seed: int = 1, blanks: float = 0.0) -> tuple[pd.DataFrame, list[str]]:
    inst = load_instrument(seed_instrument_path("ri_asset"))
    items = [item.id for construct in inst.constructs for item in construct.items[:3]]
    data = simulate(inst, n, seed=seed).responses[items].astype(float)
    if blanks:
        rng = np.random.default_rng(seed)
        data = data.mask(rng.random(data.shape) < blanks)
    return data, items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-r", action="store_true", help="skip lavaan even if Rscript is present")
    parser.add_argument("--missing", choices=["listwise", "pairwise"], default="listwise",
                        help="pairwise: 5%% of the answers blanked at random first")
    args = parser.parse_args()

    data, items = bench_data(blanks=0.05 if args.missing == "pairwise" else 0.0)
    kwargs = {"missing": args.missing} if args.missing != "listwise" else {}
    print(f"Stage-1 benchmark: ri_asset, {len(items)} items (3 per construct), N = {len(data)}, "
          f"missing = {args.missing}; median of {args.repeat} runs, one BLAS thread")
    with single_threaded():
        wall = median_time(lambda: stage1(data, items, **kwargs), args.repeat)
        cpu = median_time(lambda: stage1(data, items, **kwargs), args.repeat, time.process_time)
        poly = median_time(lambda: polychoric(data[items], missing=args.missing), args.repeat)
    s = stage1(data, items, **kwargs)
    print(f"  stage1 (thresholds, polychorics, Gamma {s.gamma.shape[0]} x {s.gamma.shape[1]}): "
          f"{wall:.4f} s wall, {cpu:.4f} s CPU (budget 0.06 s)")
    print(f"  polychoric matrix alone: {poly:.4f} s wall")
    lav = None if args.no_r else lavaan_time(data, max(3, args.repeat // 6), args.missing)
    if lav:
        print(f"  lavaan {lav['version']} stage 1 (sem(..., do.fit = FALSE) + Gamma): {lav['stage1']:.3f} s wall, "
              f"{lav['stage1_cpu']:.3f} s CPU | ratio {wall / lav['stage1']:.3f} wall, "
              f"{cpu / lav['stage1_cpu']:.3f} CPU")
    else:
        print("  lavaan: Rscript not found (or --no-r); ratio not measured in this run")


if __name__ == "__main__":
    main()
