"""Write data/district_likert.csv, the second data set behind invariance.json (deterministic).

Run from the repository root:  python tests/reference/sem/invariance/make_invariance_data.py

govstats.simulate on the seed instrument grid_governance: n = 900, 3 districts, seed 20261202,
no careless answering, no blanks. Two constructs of four 5-point Likert items each, none
reverse-coded: IS (interest structure, IS1..IS4; population loadings .68 .78 .72 .64) and
CN (connection mechanism, CN1..CN4; .75 .80 .71 .73); cor(IS, CN) = .40 in the population
(CN = .40 IS + e). Planted non-invariance (see NOTES.md):
  - CN2 has standardized loading 0.40 (instead of 0.80) in district D3;
  - IS3's latent response is shifted by +0.6 (an intercept shift) in district D2.
Only `district` and the eight items are kept, rows sorted by district (D1, D2, D3).
"""

import csv
from pathlib import Path

from govstats import load_instrument, simulate
from govstats.resources import seed_instrument_path

OUT = Path(__file__).resolve().parent / "data" / "district_likert.csv"
SEED = 20261202
ITEMS = ["IS1", "IS2", "IS3", "IS4", "CN1", "CN2", "CN3", "CN4"]
DIFFERENCES = [
    {"item": "CN2", "group": "D3", "loading": 0.40},
    {"item": "IS3", "group": "D2", "intercept": 0.6},
]


def main():
    instrument = load_instrument(seed_instrument_path("grid_governance"))
    sim = simulate(instrument, 900, seed=SEED, districts=3, careless=0.0, missing=0.0,
                   group="district", differences=DIFFERENCES)
    # sorted by district (stable): lavaan numbers groups in order of first appearance, so
    # group 1 = D1 is the reference group in R and in any reader of this file
    frame = sim.responses[["district"] + ITEMS].sort_values("district", kind="stable")
    assert not frame.isna().any().any()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["district"] + ITEMS)
        for row in frame.itertuples(index=False):
            w.writerow([str(row[0])] + [int(v) for v in row[1:]])
    print(frame["district"].value_counts().sort_index().to_dict())


if __name__ == "__main__":
    main()
