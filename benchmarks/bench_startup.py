"""Benchmark: whole-process wall time of the govstats command, against Rscript running lavaan.

Start-up counts for a command line: a user waits for the whole process, interpreter and
imports included, not for the fit alone (engine-core issue: `govstats --help` at most
0.3 s). Each command runs as a new process, repeatedly; best and median wall times are
reported. Timed here:

- `govstats --help`: the parser alone (no numpy, pandas or scipy imported);
- `govstats fit MODEL DATA`: the 41-item, 10-factor ri_asset SEM (ML) on its 600 synthetic
  respondents, a lavaan-like summary printed;
- `Rscript -e` loading lavaan, `sem()` on the same model and data, and
  `summary(fit, fit.measures = TRUE, standardized = TRUE)` (when Rscript is present);

with ratios govstats / lavaan. The bare interpreter (`python -c pass`) is timed too: the
floor no Python command goes under.

    python benchmarks/bench_startup.py [--repeat 10] [--no-r] [--govstats PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "tests" / "reference" / "sem" / "models" / "ri_asset.lav"
DATA = REPO / "data" / "synthetic" / "ri_asset.csv"
HELP_TARGET = 0.3  # seconds, whole process

# Model and data paths come as trailing arguments, so no path is quoted into R code.
R_EXPR = (
    "suppressMessages(library(lavaan)); args <- commandArgs(trailingOnly = TRUE); "
    "model <- paste(readLines(args[1]), collapse = '\\n'); data <- read.csv(args[2]); "
    "fit <- sem(model, data = data); summary(fit, fit.measures = TRUE, standardized = TRUE)"
)


def govstats_command(explicit: str | None) -> list[str]:
    """The installed console script beside this interpreter, not a shim (pyenv's adds ~0.05 s)."""
    if explicit:
        return [explicit]
    script = Path(sys.executable).parent / ("govstats.exe" if os.name == "nt" else "govstats")
    if script.is_file():
        return [str(script)]
    found = shutil.which("govstats")
    return [found] if found else [sys.executable, "-m", "govstats"]


def wall_times(command: list[str], repeat: int) -> list[float] | None:
    """Wall time of each of `repeat` runs of the command, after one untimed run (file cache)."""
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        out = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             encoding="utf-8", errors="replace", timeout=600)
        elapsed = time.perf_counter() - start
        if out.returncode != 0:
            print(f"  {' '.join(command[:3])} ... failed (exit {out.returncode}): {out.stderr.strip()[-300:]}")
            return None
        if i:
            times.append(elapsed)
    return times


def line(label: str, times: list[float]) -> str:
    return f"  {label:28s} best {min(times):6.3f} s | median {statistics.median(times):6.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-r", action="store_true", help="skip lavaan even if Rscript is present")
    parser.add_argument("--govstats", metavar="PATH", help="govstats executable (default: the one beside python)")
    args = parser.parse_args()

    gov = govstats_command(args.govstats)
    print(f"Start-up benchmark: whole processes, best and median of {args.repeat} runs "
          f"({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}); govstats = {' '.join(gov)}")
    python = wall_times([sys.executable, "-c", "pass"], args.repeat)
    help_ = wall_times([*gov, "--help"], args.repeat)
    fit = wall_times([*gov, "fit", str(MODEL), str(DATA)], args.repeat)
    if python:
        print(line("python -c pass", python))
    if help_:
        verdict = "ok" if min(help_) <= HELP_TARGET else "OVER"
        print(line("govstats --help", help_) + f" | target <= {HELP_TARGET} s: {verdict}")
    if fit:
        print(line(f"govstats fit {MODEL.stem}", fit))

    rscript = None if args.no_r else shutil.which("Rscript")
    if rscript is None:
        print("  lavaan: Rscript not found (or --no-r); ratios against lavaan not measured in this run")
        return
    lav = wall_times([rscript, "-e", R_EXPR, str(MODEL), str(DATA)], args.repeat)
    if lav is None:
        return
    print(line("Rscript lavaan sem+summary", lav))
    if fit:
        print(f"  ratio govstats fit / lavaan: best {min(fit) / min(lav):.2f}, "
              f"median {statistics.median(fit) / statistics.median(lav):.2f}")
    if help_:
        print(f"  ratio govstats --help / lavaan: best {min(help_) / min(lav):.2f}, "
              f"median {statistics.median(help_) / statistics.median(lav):.2f}")


if __name__ == "__main__":
    main()
