"""Benchmark: the bootstrap of govstats against lavaan's se = "bootstrap", and its worker scaling.

A 30-item, 10-factor SEM (three items a factor, a chain of regressions with a labelled indirect
effect ab := a*b), N = 1000 simulated respondents, ML, 2000 draws (bootstrap issue: at most
0.05x lavaan's time). Same data, same run, same machine; wall times. govstats is timed for the
whole ``fit(..., bootstrap=2000, seed=1)`` call (the fit, the draws, the re-standardized
solution per draw, the tables) on 1, 2 and 4 local processes and on a Dask LocalCluster of 1, 2
and 4 workers; lavaan for ``sem(model, data, se = "bootstrap", bootstrap = 2000)`` with its
default serial run. With ``--wlsmv`` it also times the per-draw cost of WLSMV against
lavaan's DWLS bootstrap on the items cut into five categories.

    python benchmarks/bench_bootstrap.py [--draws 2000] [--no-r] [--no-dask] [--wlsmv]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from govstats import fit

FACTORS, ITEMS = 10, 3


def model_syntax() -> str:
    lines = [f"F{k} =~ " + " + ".join(f"y{k}_{i}" for i in range(1, ITEMS + 1)) for k in range(1, FACTORS + 1)]
    lines += ["F2 ~ a*F1", "F3 ~ b*F2 + F1"] + [f"F{k} ~ F{k - 1}" for k in range(4, FACTORS + 1)]
    lines += ["ab := a*b"]
    return "\n".join(lines) + "\n"


def simulate_data(n: int = 1000, seed: int = 1) -> pd.DataFrame:
    """Factors from the chain (standardized paths 0.4), loadings 0.7, normal residuals."""
    rng = np.random.default_rng(seed)
    f = np.zeros((n, FACTORS))
    f[:, 0] = rng.normal(size=n)
    f[:, 1] = 0.4 * f[:, 0] + rng.normal(scale=np.sqrt(1 - 0.16), size=n)
    f[:, 2] = 0.4 * f[:, 1] + 0.2 * f[:, 0] + rng.normal(scale=0.85, size=n)
    for k in range(3, FACTORS):
        f[:, k] = 0.4 * f[:, k - 1] + rng.normal(scale=np.sqrt(1 - 0.16), size=n)
    cols = {}
    for k in range(FACTORS):
        for i in range(ITEMS):
            cols[f"y{k + 1}_{i + 1}"] = 0.7 * f[:, k] + rng.normal(scale=np.sqrt(0.51), size=n)
    return pd.DataFrame(cols)


R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
model <- paste(readLines(args[1]), collapse = "\n")
data <- read.csv(args[2])
draws <- as.integer(args[3])
ordered <- args[4] == "ordered"
t <- system.time({
  f <- if (ordered) sem(model, data = data, ordered = TRUE, estimator = "DWLS", se = "bootstrap",
                        bootstrap = draws, iseed = 1L)
       else sem(model, data = data, se = "bootstrap", bootstrap = draws, iseed = 1L)
  pe <- parameterEstimates(f, boot.ci.type = "perc")
})
se_ab <- pe$se[pe$lhs == "ab"]
cat(sprintf('{"wall": %f, "cpu": %f, "se_ab": %.8f, "version": "%s"}\n', t[["elapsed"]],
            t[["user.self"]] + t[["sys.self"]], se_ab, as.character(packageVersion("lavaan"))))
"""


def lavaan_bootstrap(syntax: str, data: pd.DataFrame, draws: int, ordered: bool = False) -> dict | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        model, csv, script = Path(tmp) / "model.lav", Path(tmp) / "data.csv", Path(tmp) / "bench.R"
        model.write_text(syntax, encoding="utf-8")
        data.to_csv(csv, index=False)
        script.write_text(R_SCRIPT, encoding="utf-8")
        out = subprocess.run([rscript, str(script), str(model), str(csv), str(draws),
                              "ordered" if ordered else "continuous"], capture_output=True, text=True, timeout=7200)
    if out.returncode != 0:
        print(f"  lavaan run failed: {out.stderr.strip()[:300]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def govstats_bootstrap(syntax: str, data: pd.DataFrame, draws: int, executor, **kwargs) -> tuple[float, float]:
    start = time.perf_counter()
    res = fit(syntax, data, bootstrap=draws, seed=1, executor=executor, **kwargs)
    wall = time.perf_counter() - start
    se_ab = float(res.params.loc[res.params.label == "ab", "se"].iloc[0])
    return wall, se_ab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--no-r", action="store_true", help="skip lavaan")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster runs")
    parser.add_argument("--dask-default-malloc", action="store_true",
                        help="start the Dask workers with Dask's MALLOC_TRIM_THRESHOLD_ (see the Dask runs)")
    parser.add_argument("--wlsmv", action="store_true", help="also WLSMV vs lavaan's DWLS bootstrap (per draw)")
    parser.add_argument("--wlsmv-draws", type=int, default=100)
    args = parser.parse_args()
    syntax, data = model_syntax(), simulate_data()
    print(f"30-item 10-factor SEM, N = {len(data)}, ML, {args.draws} bootstrap draws")

    lav = None if args.no_r else lavaan_bootstrap(syntax, data, args.draws)
    if lav:
        print(f"  lavaan {lav['version']} se='bootstrap' (serial): {lav['wall']:.1f} s wall "
              f"({1000 * lav['wall'] / args.draws:.1f} ms a draw), SE(ab) {lav['se_ab']:.5f}")
    runs = [("processes", w, w) for w in (1, 2, 4)]
    if not args.no_dask:
        runs += [("dask", w, w) for w in (1, 2, 4)]
    base = None
    for kind, workers, _ in runs:
        if kind == "processes":
            wall, se_ab = govstats_bootstrap(syntax, data, args.draws, "serial" if workers == 1 else workers)
        else:
            import dask
            from distributed import LocalCluster

            # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc map and unmap every
            # allocation above 128 KB: the stacked refits' arrays (50 draws x 70 x 70) then cost twice the
            # CPU (0.31 s against 0.15 s for 100 draws in one worker); the README says how to start workers
            unset = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
            environ = {} if args.dask_default_malloc else {unset: None}
            with dask.config.set(environ), \
                    LocalCluster(host="127.0.0.1", n_workers=workers, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster:
                wall, se_ab = govstats_bootstrap(syntax, data, args.draws, cluster)
        base = base or wall
        ratio = f", {wall / lav['wall']:.3f}x lavaan" if lav else ""
        print(f"  govstats {kind:9s} {workers} worker(s): {wall:6.1f} s ({1000 * wall / args.draws:.1f} ms a draw; "
              f"speed-up {base / wall:.2f}{ratio}), SE(ab) {se_ab:.5f}")

    if args.wlsmv:
        cut = data.apply(lambda c: pd.cut(c, [-np.inf, -1.2, -0.4, 0.4, 1.2, np.inf], labels=False) + 1)
        n = args.wlsmv_draws
        print(f"WLSMV: the items in five categories, {n} draws")
        lav_w = None if args.no_r else lavaan_bootstrap(syntax, cut, n, ordered=True)
        wall, _ = govstats_bootstrap(syntax, cut, n, "serial", ordered=True)
        text = f"  govstats WLSMV (serial): {1000 * wall / n:.0f} ms a draw"
        if lav_w:
            text += f"; lavaan DWLS se='bootstrap': {1000 * lav_w['wall'] / n:.0f} ms a draw " \
                    f"({wall / lav_w['wall']:.3f}x)"
        print(text)


if __name__ == "__main__":
    main()
