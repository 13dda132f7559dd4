"""Benchmark: check_responses on 1,000,000 respondents x 41 columns.

Target (issue 6): at most 10 s on the 2-core machine, memory bounded. The data are
simulate()'s, messy as field data are: 10% careless respondents, 5% speeders, 2% blank
item cells, so the check has problems to collect (about half a million blank required
answers) and flags to compute. Peak memory is what tracemalloc sees during a separate
run (numpy and pandas report their buffers to it), as a multiple of the input frame.

    python benchmarks/bench_check.py [--n 1000000] [--repeat 3] [--instrument platform_dilemma]
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

from govstats import check_responses, load_instrument, simulate
from govstats.resources import seed_instrument_path

TARGET_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--instrument", default="platform_dilemma", help="seed instrument (platform_dilemma: 41 "
                                                                        "columns, 26 items)")
    args = parser.parse_args()

    inst = load_instrument(seed_instrument_path(args.instrument))
    df = simulate(inst, args.n, seed=1, careless=0.1, speeders=0.05, missing=0.02).responses
    size = df.memory_usage(deep=True, index=True).sum()
    check_responses(inst, df.head(1000))  # warm up imports and caches
    times, cpu = [], []
    load = os.getloadavg()[0]
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        report = check_responses(inst, df)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    problems, flagged = len(report.problems), int(report.flags["flagged"].sum())
    del report
    tracemalloc.start()
    check_responses(inst, df)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best = min(times)
    print(f"check_responses: {args.n:,} respondents x {df.shape[1]} columns ({len(inst.items)} items), "
          f"instrument {inst.id}; {problems:,} problems, {flagged:,} respondents flagged")
    print(f"  time: best {best:.2f} s of {args.repeat} (all: {', '.join(f'{t:.2f}' for t in times)}); "
          f"target <= {TARGET_SECONDS:.0f} s: {'met' if best <= TARGET_SECONDS else 'MISSED'}")
    # Wall time depends on what else runs; CPU time much less (the check uses one core).
    print(f"  CPU time: best {min(cpu):.2f} s; load average when it started {load:.1f} on {os.cpu_count()} cores")
    print(f"  memory: input frame {size / 1e6:.0f} MB, peak during the check {peak / 1e6:.0f} MB "
          f"({peak / size:.1f}x the input)")


if __name__ == "__main__":
    main()
