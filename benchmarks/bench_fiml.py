"""Benchmark: FIML (missing data) fit time of govstats against lavaan's missing = "ml".

A 30-item, 10-factor SEM (three indicators a factor, a chain of regressions among the factors),
N = 600, 8% of the item cells blank completely at random: the whole fit (estimates, standard
errors, test, fit measures, standardized solution) with ML and with MLR, in the same run, as a
ratio of wall times (FIML issue: at most 0.05x lavaan's). Then how govstats' time grows with the
number of missing-data patterns (blanks drawn from 10, 100 or 500 fixed patterns).

    python benchmarks/bench_fiml.py [--repeat 5] [--no-r] [--n 600]
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

import numpy as np
import pandas as pd

from govstats import fit

FACTORS, PER_FACTOR = 10, 3

R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
model <- paste(readLines(args[1]), collapse = "\n")
data <- read.csv(args[2])
reps <- as.integer(args[3])
time_it <- function(expr) {
  wall <- numeric(reps)
  for (i in seq_len(reps)) wall[i] <- system.time(eval(expr))[["elapsed"]]
  median(wall)
}
ml <- time_it(quote({f <- sem(model, data = data, missing = "ml"); fitMeasures(f); standardizedSolution(f)}))
mlr <- time_it(quote({f <- sem(model, data = data, missing = "ml", estimator = "MLR"); fitMeasures(f);
                      standardizedSolution(f)}))
cat(sprintf('{"ML": %f, "MLR": %f, "version": "%s"}\n', ml, mlr, as.character(packageVersion("lavaan"))))
"""


def model_syntax() -> str:
    lines = [f"F{k} =~ " + " + ".join(f"y{k}_{j}" for j in range(1, PER_FACTOR + 1)) for k in range(1, FACTORS + 1)]
    lines += [f"F{k} ~ F{k - 1}" for k in range(2, FACTORS + 1)]
    return "\n".join(lines)


def simulate(n: int, share: float, patterns: int | None, seed: int = 1) -> pd.DataFrame:
    """Data from the model's population (loadings 0.7, paths 0.5), with MCAR blanks: each cell with
    probability ``share``, or (``patterns``) each row blank on one of that many fixed patterns."""
    rng = np.random.default_rng(seed)
    eta = np.zeros((n, FACTORS))
    eta[:, 0] = rng.normal(size=n)
    for k in range(1, FACTORS):
        eta[:, k] = 0.5 * eta[:, k - 1] + rng.normal(scale=np.sqrt(0.75), size=n)
    items = np.repeat(eta, PER_FACTOR, axis=1) * 0.7 + rng.normal(scale=np.sqrt(0.51), size=(n, FACTORS * PER_FACTOR))
    p = items.shape[1]
    if patterns is None:
        blank = rng.random((n, p)) < share
    else:
        library = rng.random((patterns, p)) < share
        library[0] = False  # complete rows stay the most common pattern
        blank = library[rng.integers(0, patterns, size=n)]
    blank[blank.all(axis=1), 0] = False
    items[blank] = np.nan
    names = [f"y{k}_{j}" for k in range(1, FACTORS + 1) for j in range(1, PER_FACTOR + 1)]
    return pd.DataFrame(items, columns=names)


def govstats_time(syntax: str, data: pd.DataFrame, estimator: str, repeat: int) -> float:
    def once():
        res = fit(syntax, data, estimator=estimator, missing="fiml")
        _ = res.standardized, res.fit_measures["cfi"]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        once()  # warm up (imports)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            once()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def lavaan_times(syntax: str, data: pd.DataFrame, repeat: int) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "model.lav").write_text(syntax, encoding="utf-8")
        data.to_csv(tmp / "data.csv", index=False)
        (tmp / "bench.R").write_text(R_SCRIPT, encoding="utf-8")
        out = subprocess.run(["Rscript", str(tmp / "bench.R"), str(tmp / "model.lav"), str(tmp / "data.csv"),
                              str(repeat)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--no-r", action="store_true", help="skip lavaan")
    args = parser.parse_args()
    syntax = model_syntax()
    data = simulate(args.n, 0.08, None)
    n_patterns = len(data.isna().drop_duplicates())
    print(f"30 items, 10 factors, N = {args.n}, {100 * data.isna().to_numpy().mean():.1f}% blank, "
          f"{n_patterns} missing-data patterns")
    ours = {e: govstats_time(syntax, data, e, args.repeat) for e in ("ML", "MLR")}
    lav = None if args.no_r else lavaan_times(syntax, data, max(1, args.repeat // 2))
    for e in ("ML", "MLR"):
        line = f"  {e:4s} govstats {ours[e]:7.3f} s"
        if lav:
            line += f"   lavaan {lav['version']} {lav[e]:7.3f} s   ratio {ours[e] / lav[e]:.3f}x"
        print(line)
    print("govstats' time by number of missing-data patterns (ML, MLR):")
    for k in (10, 100, 500):
        data_k = simulate(args.n if k < 500 else max(args.n, 1000), 0.08, k)
        seen = len(data_k.isna().drop_duplicates())
        times = [govstats_time(syntax, data_k, e, args.repeat) for e in ("ML", "MLR")]
        print(f"  {seen:4d} patterns (N = {len(data_k)}): {times[0]:.3f} s, {times[1]:.3f} s")


if __name__ == "__main__":
    main()
