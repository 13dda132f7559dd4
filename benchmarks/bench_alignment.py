"""Benchmark: alignment optimization (govstats.sem.alignment) for 30-100 groups x 5-10 items.

sirt (the reference implementation, R) cannot be installed on these machines (CRAN is not
reachable) and lavaan has no alignment, so there is no ratio against R here; the figure to
compare is the configural multiple-group fit that alignment starts from, timed in the same run
(govstats.fit of the same simulated data, n = 300 per group). Parameters: per-group loadings and
intercepts of a one-factor model with 10% of the intercepts shifted by 0.5 and 5% of the loadings
by 0.3 (noise SD 0.03 / 0.04 added). Wall and CPU times (the machine is shared; CPU
time is the fairer figure then) of ``alignment_from_estimates`` with 1 start
(sirt's path alone) for both identifications and with the default 5 starts, and the RMSE of the
group means against the truth on the first group's scale ("first" inflates the SDs in these
cases, see tests/sem/test_alignment.py).

    python benchmarks/bench_alignment.py [--no-fit]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from govstats import fit
from govstats.sem.alignment import alignment, alignment_from_estimates

SIZES = [(30, 6), (60, 8), (100, 5), (100, 10)]


def parameters(G: int, I: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    mean = np.concatenate(([0.0], rng.normal(0, 0.5, G - 1)))
    sd = np.concatenate(([1.0], np.exp(rng.normal(0, 0.2, G - 1))))
    lam0, nu0 = rng.uniform(0.5, 0.9, I), rng.normal(0, 0.3, I)
    lam = np.tile(lam0, (G, 1)) + 0.3 * (rng.random((G, I)) < 0.05)
    nu = np.tile(nu0, (G, 1)) + 0.5 * (rng.random((G, I)) < 0.10)
    lam_c = lam * sd[:, None] + rng.normal(0, 0.03, (G, I))  # sampling noise of the configural fit
    nu_c = nu + lam * mean[:, None] + rng.normal(0, 0.04, (G, I))
    return lam, nu, mean, sd, lam_c, nu_c


def data(G: int, I: int, n: int = 300, seed: int = 1) -> pd.DataFrame:
    lam, nu, mean, sd, _, _ = parameters(G, I, seed)
    rng = np.random.default_rng(seed + 1)
    frames = []
    for g in range(G):
        eta = rng.normal(mean[g], sd[g], n)
        x = nu[g] + eta[:, None] * lam[g] + rng.normal(0, 0.6, (n, I))
        frames.append(pd.DataFrame(x, columns=[f"y{i + 1}" for i in range(I)]).assign(grp=g))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-fit", action="store_true", help="skip the configural fits")
    args = parser.parse_args()
    for G, I in SIZES:
        _, _, mean, sd, lam_c, nu_c = parameters(G, I)
        line = f"{G:4d} groups x {I:2d} items:"
        for ident, starts in (("first", 1), ("product", 1), ("product", 5)):
            t0, c0 = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = alignment_from_estimates(lam_c, nu_c, starts=starts, identification=ident)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            # on the first group's scale, so both identifications compare with the truth
            m = res.factor["mean"].to_numpy() / res.factor["sd"].iloc[0]
            rmse = np.sqrt(np.mean((m - mean) ** 2))
            line += (f"  {ident} x{starts}: {seconds:5.2f} s wall, {cpu:5.2f} s CPU ({res.iterations} it., "
                     f"mean RMSE {rmse:.3f})")
        if not args.no_fit:
            df = data(G, I)
            t0 = time.perf_counter()
            conf = fit("F =~ " + " + ".join(f"y{i + 1}" for i in range(I)), df, group="grp", std_lv=True,
                       meanstructure=True)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            alignment(conf, identification="product")
            line += f"  | configural fit {fit_s:.2f} s, alignment of it {time.perf_counter() - t0:.2f} s"
        print(line, flush=True)


if __name__ == "__main__":
    main()
