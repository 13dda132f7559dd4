"""Regenerate the committed synthetic datasets, byte for byte, from fixed seeds.

    python data/synthetic/regenerate.py            # rewrite the files here
    python data/synthetic/regenerate.py --out DIR  # write them elsewhere (the tests compare)

For each seed instrument: <id>.csv (600 respondents in 30 communities, 3 districts) and
<id>.truth.json (the population values that generated it). Plus ri_asset_messy.csv: the
same respondents as ri_asset.csv with careless respondents, speeders and blanks planted,
and its truth, which lists the rows that were changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from govstats import load_instrument, simulate_to_csv
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path

N = 600
COMMUNITIES = 30
DISTRICTS = 3
SEEDS = {name: 20261121 + k for k, name in enumerate(SEED_INSTRUMENTS)}
MESSY = {"missing": 0.04, "missing_mechanism": "MAR", "careless": 0.08, "speeders": 0.03}


def datasets():
    """(file stem, instrument name, seed, options) of every committed dataset."""
    for name in SEED_INSTRUMENTS:
        yield name, name, SEEDS[name], {}
    yield "ri_asset_messy", "ri_asset", SEEDS["ri_asset"], MESSY


def regenerate(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, name, seed, options in datasets():
        inst = load_instrument(seed_instrument_path(name))
        csv = out / f"{stem}.csv"
        truth = simulate_to_csv(inst, N, csv, seed=seed, communities=COMMUNITIES, districts=DISTRICTS, **options)
        truth.to_json(out / f"{stem}.truth.json")
        written += [csv, out / f"{stem}.truth.json"]
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    for path in regenerate(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
