"""Write the small incomplete data sets behind fiml.json (deterministic: numpy seeds below).

Run from the repository root:  python tests/reference/sem/fiml/make_data.py
Blank cells (empty strings) are NA. Values that are copied from the source files keep their
original text, so R and Python read exactly the same numbers.

  data/hs_mcar.csv  HolzingerSwineford1939 (id, sex, ageyr, agemo, school, grade, x1..x9);
                    3 random rows blank on all of x1..x9 (the "empty cases are left out"
                    rule), plus MCAR blanks so that 10% of the x1..x9 cells are blank in total.
  data/ri_mcar.csv  first 600 rows of data/synthetic/ri_asset.csv: respondent_id, community_id
                    and the 41 items of the ri_asset model; 8% of item cells blank MCAR.
  data/ri_mar.csv   the same rows; IC1 (first construct) always observed; each item of the
                    later constructs (PS, SM, GR, OC, CD, CI, PE, SE, RIE) is blank with
                    probability 1/(1 + exp(-(a + 1.0 * (IC1 - mean(IC1))))), a calibrated so that
                    about 10% of all item cells are blank (IC items are never blank).
  data/pd_mcar.csv  PoliticalDemocracy (y1..y8, x1..x3) with 8% of cells blank MCAR.
  data/hs_cov.csv   HS x1..x6 with 8% of cells blank MCAR, agec = ageyr - mean(ageyr) and
                    sexc = sex - 1.5 (computed on the complete data, as make_mlm.R does), with 5%
                    of the covariate cells blank MCAR.
"""

import csv
import math
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]
OUT = Path(__file__).resolve().parent / "data"

HS_SRC = ROOT / "tests/reference/data/HolzingerSwineford1939.csv"
PD_SRC = ROOT / "tests/reference/data/PoliticalDemocracy.csv"
RI_SRC = ROOT / "data/synthetic/ri_asset.csv"

RI_CONSTRUCTS = {
    "IC": 4, "PS": 4, "SM": 4, "GR": 4, "OC": 4, "CD": 4, "CI": 4, "PE": 4, "SE": 4, "RIE": 5,
}
RI_ITEMS = [f"{c}{i}" for c, k in RI_CONSTRUCTS.items() for i in range(1, k + 1)]


def read(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def select(header, rows, cols):
    idx = [header.index(c) for c in cols]
    return [[r[i] for i in idx] for r in rows]


def blank_mcar(rows, col_idx, frac, rng, exclude_rows=()):
    """Blank round(frac * cells) randomly chosen cells among rows x col_idx (minus exclude_rows)."""
    cells = [(i, j) for i in range(len(rows)) if i not in exclude_rows for j in col_idx]
    n = int(round(frac * len(cells)))
    for k in rng.choice(len(cells), size=n, replace=False):
        i, j = cells[k]
        rows[i][j] = ""
    return n


def hs_mcar():
    rng = np.random.default_rng(20260601)
    header, rows = read(HS_SRC)
    cols = ["id", "sex", "ageyr", "agemo", "school", "grade"] + [f"x{i}" for i in range(1, 10)]
    rows = select(header, rows, cols)
    x_idx = [cols.index(f"x{i}") for i in range(1, 10)]
    n_rows = len(rows)
    empty = set(int(i) for i in rng.choice(n_rows, size=3, replace=False))
    for i in empty:
        for j in x_idx:
            rows[i][j] = ""
    target = int(round(0.10 * n_rows * len(x_idx)))
    blank_mcar(rows, x_idx, (target - 3 * len(x_idx)) / ((n_rows - 3) * len(x_idx)), rng,
               exclude_rows=empty)
    all_blank = [i for i in range(n_rows) if all(rows[i][j] == "" for j in x_idx)]
    assert sorted(all_blank) == sorted(empty), all_blank
    write(OUT / "hs_mcar.csv", cols, rows)
    return sorted(i + 1 for i in empty)


def ri_rows():
    header, rows = read(RI_SRC)
    cols = ["respondent_id", "community_id"] + RI_ITEMS
    return cols, select(header, rows[:600], cols)


def ri_mcar():
    rng = np.random.default_rng(20260602)
    cols, rows = ri_rows()
    item_idx = [cols.index(c) for c in RI_ITEMS]
    blank_mcar(rows, item_idx, 0.08, rng)
    write(OUT / "ri_mcar.csv", cols, rows)


def ri_mar():
    rng = np.random.default_rng(20260603)
    cols, rows = ri_rows()
    ic1 = np.array([float(r[cols.index("IC1")]) for r in rows])
    z = ic1 - ic1.mean()
    later = [c for c in RI_ITEMS if not c.startswith("IC")]
    later_idx = [cols.index(c) for c in later]
    # calibrate the intercept: expected blanks = 10% of all item cells
    target = 0.10 * len(RI_ITEMS) / len(later)
    lo, hi = -10.0, 10.0
    for _ in range(200):
        a = (lo + hi) / 2
        p = 1 / (1 + np.exp(-(a + 1.0 * z)))
        lo, hi = (a, hi) if p.mean() < target else (lo, a)
    p = 1 / (1 + np.exp(-(a + 1.0 * z)))
    u = rng.random((len(rows), len(later_idx)))
    for i in range(len(rows)):
        for k, j in enumerate(later_idx):
            if u[i, k] < p[i]:
                rows[i][j] = ""
    write(OUT / "ri_mar.csv", cols, rows)
    return a


def pd_mcar():
    rng = np.random.default_rng(20260604)
    header, rows = read(PD_SRC)
    blank_mcar(rows, list(range(len(header))), 0.08, rng)
    assert all(any(v != "" for v in r) for r in rows)
    write(OUT / "pd_mcar.csv", header, rows)


def hs_cov():
    rng = np.random.default_rng(20260605)
    header, rows = read(HS_SRC)
    ageyr = [float(r[header.index("ageyr")]) for r in rows]
    mean_age = math.fsum(ageyr) / len(ageyr)
    cols = [f"x{i}" for i in range(1, 7)]
    out = select(header, rows, cols)
    for r, src, age in zip(out, rows, ageyr):
        r.append(repr(age - mean_age))
        r.append(repr(float(src[header.index("sex")]) - 1.5))
    cols = cols + ["agec", "sexc"]
    blank_mcar(out, list(range(6)), 0.08, rng)
    blank_mcar(out, [6, 7], 0.05, rng)
    assert all(any(v != "" for v in r) for r in out)
    write(OUT / "hs_cov.csv", cols, out)


if __name__ == "__main__":
    empty = hs_mcar()
    ri_mcar()
    a = ri_mar()
    pd_mcar()
    hs_cov()
    print("hs_mcar empty rows (1-based):", empty)
    print("ri_mar logistic intercept:", a)
