"""Benchmark: Monte Carlo power per replication against lavaan, and its worker scaling.

The population is a 30-item, 10-factor SEM written with population values (loadings .7, a chain
of structural paths .4 with one extra path .2), so both programs draw from the same population.
Per replication govstats draws a sample, refits (ML), computes SEs, the chi-square test and every
target's Wald test (``power(..., executor="serial")``), reported twice: with its one-off set-up (a
pilot fit) spread over the replications, and the marginal cost of a further replication (the run's
time less that of a one-replication run). lavaan's time is ``sem()`` alone (fit with SEs and the
test) on samples drawn beforehand by ``simulateData``: data generation is not counted for lavaan.
A 9-item model is timed the same way. The issue's target: at most 0.05x lavaan per replication.

Scaling: the same run on 1 and 2 local processes (efficiency = t1 / (2 t2)) and on a Dask
LocalCluster over loopback with 1, 2 and 4 workers. The machine's cores are shared: the
figures are what this run measured, printed with ``nproc`` and the load average.

    python benchmarks/bench_power.py [--reps 200] [--n 500] [--lavaan-reps 30] [--no-r] [--no-dask]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from govstats.planning import power

FACTORS, ITEMS = 10, 3


def population_syntax(factors: int = FACTORS) -> str:
    lines = [f"F{k} =~ " + " + ".join(f"0.7*y{k}_{i}" for i in range(1, ITEMS + 1)) for k in range(1, factors + 1)]
    lines += ["F2 ~ 0.4*F1", "F3 ~ 0.4*F2 + 0.2*F1"] + [f"F{k} ~ 0.4*F{k - 1}" for k in range(4, factors + 1)]
    return "\n".join(lines) + "\n"


R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
pop <- paste(readLines(args[1]), collapse = "\n")
n <- as.integer(args[2]); reps <- as.integer(args[3])
# the analysis model: the population syntax with its values freed
model <- gsub("[0-9.]+\\*", "", pop)
samples <- lapply(seq_len(reps), function(i) simulateData(pop, sample.nobs = n, seed = i))
t <- system.time(for (d in samples) f <- sem(model, data = d))
cat(sprintf('{"wall": %f, "version": "%s"}\n', t[["elapsed"]], as.character(packageVersion("lavaan"))))
"""


def lavaan_per_fit(pop: str, n: int, reps: int) -> dict | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        model, script = Path(tmp) / "pop.lav", Path(tmp) / "bench.R"
        model.write_text(pop, encoding="utf-8")
        script.write_text(R_SCRIPT, encoding="utf-8")
        out = subprocess.run([rscript, str(script), str(model), str(n), str(reps)], capture_output=True, text=True,
                             timeout=3600)
    if out.returncode != 0:
        print(f"  lavaan run failed: {out.stderr.strip()[:300]}")
        return None
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    rec["per_fit"] = rec["wall"] / reps
    return rec


def timed_run(pop: str, n: int, reps: int, executor) -> tuple[float, object]:
    start = time.perf_counter()
    res = power(pop, n=[n], reps=reps, seed=1, executor=executor)
    return time.perf_counter() - start, res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--lavaan-reps", type=int, default=30)
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.1f}")
    serial_30 = None
    for label, pop in (("9-item 3-factor", population_syntax(3)), ("30-item 10-factor", population_syntax())):
        print(f"{label} SEM, N = {args.n}, ML, {args.reps} replications")
        lav = None if args.no_r else lavaan_per_fit(pop, args.n, args.lavaan_reps)
        setup, _ = timed_run(pop, args.n, 1, "serial")  # the pilot fit and one replication
        wall, res = timed_run(pop, args.n, args.reps, "serial")
        per = wall / args.reps
        marginal = max(wall - setup, 0.0) / (args.reps - 1)  # what each further replication costs
        text = (f"  govstats (serial): {wall:.1f} s, {1000 * per:.1f} ms a replication with the set-up spread, "
                f"{1000 * marginal:.1f} ms each further one (set-up run {setup:.1f} s)")
        if lav:
            text += (f"; lavaan {lav['version']} sem(): {1000 * lav['per_fit']:.1f} ms a fit "
                     f"({args.lavaan_reps} fits) -> ratio {per / lav['per_fit']:.3f} "
                     f"(marginal {marginal / lav['per_fit']:.3f})")
        print(text)
        print(f"  converged {res.fit_tests.converged.iloc[0]:.3f}; chi-square rejection "
              f"{res.fit_tests.chisq_reject.iloc[0]:.3f}")
        serial_30 = (wall, per)
    pop = population_syntax()
    base, per = serial_30
    print(f"A 10-size x 1000-replication curve of the 30-item model at about N = {args.n}: "
          f"{10 * 1000 * per / 60:.1f} min serial (from the per-replication time above)")
    wall2, res2 = timed_run(pop, args.n, args.reps, 2)
    print(f"  2 local processes: {wall2:.1f} s, speed-up {base / wall2:.2f}, efficiency {base / (2 * wall2):.2f}")
    if not args.no_dask:
        from distributed import LocalCluster

        first = None
        for workers in (1, 2, 4):
            with LocalCluster(host="127.0.0.1", n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                wall, res = timed_run(pop, args.n, args.reps, cluster)
            first = first or wall
            same = res.replications.equals(res2.replications)
            gap = max(float((res.replications[c] - res2.replications[c]).abs().max()) for c in ("est", "se", "chisq"))
            print(f"  Dask LocalCluster {workers} worker(s): {wall:.1f} s, speed-up over 1 worker {first / wall:.2f}; "
                  f"numbers identical to the process run: {same}" + ("" if same else f" (largest gap {gap:.2e})"))


if __name__ == "__main__":
    main()
