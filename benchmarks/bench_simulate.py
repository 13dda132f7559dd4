"""Benchmark: simulate 1,000,000 respondents x 30 items into a DataFrame.

Target (synthetic-data issue): at most 3 s on the 2-core machine, peak memory at most 1.5x
the result. Peak memory is what tracemalloc sees (numpy and pandas report their buffers to
it) during a second run, so imports and first-call caches are not counted.

    python benchmarks/bench_simulate.py [--n 1000000] [--repeat 3] [--stream 10000000]

With --stream N it instead streams N respondents to a CSV file (simulate_to_csv) and reports
the process's peak resident memory, which stays flat whatever N is (run it with two sizes).
Not under tracemalloc, which slows pandas' CSV writer many times over.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import tempfile
from pathlib import Path

from govstats import load_instrument, simulate, simulate_to_csv
from govstats.resources import seed_instrument_path

TARGET_SECONDS = 3.0
TARGET_MEMORY_RATIO = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stream", type=int, default=0, help="also stream this many respondents to CSV")
    args = parser.parse_args()

    inst = load_instrument(seed_instrument_path("grid_governance"))  # 30 items, 7 constructs
    if args.stream:
        stream(inst, args.stream)
        return
    simulate(inst, 1000, seed=0)  # warm up
    times = []
    for r in range(args.repeat):
        start = time.perf_counter()
        sim = simulate(inst, args.n, seed=r)
        times.append(time.perf_counter() - start)
        result = sim.responses.memory_usage(deep=True, index=True).sum()
        del sim
    tracemalloc.start()
    sim = simulate(inst, args.n, seed=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shape = sim.responses.shape
    best = min(times)
    ratio = peak / result
    print(f"simulate: {args.n:,} respondents x {len(inst.items)} items ({shape[1]} columns), instrument {inst.id}")
    print(f"  time: best {best:.2f} s of {args.repeat} (all: {', '.join(f'{t:.2f}' for t in times)}); "
          f"target <= {TARGET_SECONDS:.1f} s: {'met' if best <= TARGET_SECONDS else 'MISSED'}")
    print(f"  memory: result {result / 1e6:.0f} MB, peak {peak / 1e6:.0f} MB, ratio {ratio:.2f}; "
          f"target <= {TARGET_MEMORY_RATIO}: {'met' if ratio <= TARGET_MEMORY_RATIO else 'MISSED'}")


def stream(inst, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stream.csv"
        start = time.perf_counter()
        simulate_to_csv(inst, n, out, seed=0)
        seconds = time.perf_counter() - start
        size = out.stat().st_size
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"stream to CSV: {n:,} respondents x {len(inst.items)} items in {seconds:.1f} s "
          f"({n / seconds:,.0f}/s), file {size / 1e9:.2f} GB, peak resident memory {peak_rss:.0f} MB")


if __name__ == "__main__":
    main()
