"""Careless-responding indices against hand computations, and the flags against simulate's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import mahalanobis as scipy_mahalanobis

from govstats import check_responses, load_instrument, simulate
from govstats.data import quality as ql
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path


@pytest.fixture(scope="module")
def inst():
    return load_instrument(seed_instrument_path("ri_asset"))


def test_longstring_by_hand():
    X = np.array([[1, 1, 2, 2, 2, 2, 1],
                  [3, np.nan, 3, 3, 4, 4, 4],   # a blank does not break a run
                  [5, 4, 3, 2, 1, 2, 3],
                  [np.nan] * 7])
    best, start = ql.longstring(X, return_start=True)
    assert best.tolist() == [4, 3, 1, 0]
    assert start[:3].tolist() == [2, 0, 0]


def test_irv_is_the_row_standard_deviation():
    rng = np.random.default_rng(1)
    X = rng.integers(1, 6, (50, 12)).astype(float)
    assert np.allclose(ql.irv(X), X.std(axis=1, ddof=1), atol=1e-12)
    X[0, :6] = np.nan
    assert ql.irv(X)[0] == pytest.approx(np.std(X[0, 6:], ddof=1), abs=1e-12)


def test_mahalanobis_equals_scipy_on_the_reweighted_sample():
    rng = np.random.default_rng(2)
    cov = 0.5 * np.ones((6, 6)) + 0.5 * np.eye(6)
    X = rng.multivariate_normal(np.zeros(6), cov, 400)
    X[:5] = rng.uniform(-3, 3, (5, 6)) * np.array([1, -1, 1, -1, 1, -1])  # against the correlations
    d2, df, p = ql.mahalanobis(X, alpha=0.001)
    # By hand: pass 1 on every row, pass 2 without the rows pass 1 put below alpha.
    S1, m1 = np.cov(X, rowvar=False), X.mean(axis=0)
    p1 = stats.chi2.sf([scipy_mahalanobis(x, m1, np.linalg.inv(S1)) ** 2 for x in X], 6)
    keep = p1 >= 0.001
    S2, m2 = np.cov(X[keep], rowvar=False), X[keep].mean(axis=0)
    expected = np.array([scipy_mahalanobis(x, m2, np.linalg.inv(S2)) ** 2 for x in X])
    assert np.allclose(d2, expected, rtol=1e-9)
    assert np.allclose(p, stats.chi2.sf(expected, 6), rtol=1e-9)
    assert (df == 6).all() and p[:5].max() < 0.01 and np.median(p[5:]) > 0.3


def test_thresholds_are_reported_and_can_be_changed(inst):
    df = simulate(inst, 200, seed=1).responses
    assert check_responses(inst, df).thresholds == ql.THRESHOLDS
    loose = check_responses(inst, df, thresholds={"mahalanobis_alpha": 0.2})
    assert loose.thresholds["mahalanobis_alpha"] == 0.2
    assert loose.flags["flag_mahalanobis"].sum() > 10


def test_speeder_threshold_is_0_4_of_the_median(inst):
    df = simulate(inst, 101, seed=2).responses
    start = pd.Timestamp("2026-05-02 09:00:00")
    df["start_time"] = start
    df["end_time"] = start + pd.to_timedelta(np.full(101, 1000), unit="s")  # median 1000 s
    df.loc[0, "end_time"] = start + pd.Timedelta(seconds=399)
    df.loc[1, "end_time"] = start + pd.Timedelta(seconds=401)
    flags = check_responses(inst, df).flags
    assert flags.loc[0, "flag_speeder"] and not flags.loc[1, "flag_speeder"]
    assert flags["flag_speeder"].sum() == 1 and flags.loc[0, "duration_s"] == 399


def test_missing_threshold_is_a_third_of_the_items(inst):
    df = simulate(inst, 50, seed=3).responses
    items = [i.id for i in inst.items]  # 41
    df.loc[0, items[:14]] = pd.NA        # 14 of 41 = 34% > 33%
    df.loc[1, items[:13]] = pd.NA        # 13 of 41 = 32%
    flags = check_responses(inst, df).flags
    assert flags.loc[0, "flag_too_much_missing"] and not flags.loc[1, "flag_too_much_missing"]
    assert flags.loc[0, "missing_share"] == pytest.approx(14 / 41)


def test_attention_check_wrong_is_flagged_blank_is_not(inst):
    df = simulate(inst, 50, seed=4).responses
    df.loc[0, "AC1"] = 2
    df.loc[1, "AC1"] = pd.NA
    report = check_responses(inst, df)
    assert report.flags["flag_attention_check"].tolist() == [True] + [False] * 49
    msg = report.problems.loc[report.problems["rule"] == "attention-check", "message"].item()
    assert msg == "answered 2 where the instructed answer is 4 (Agree)"


def test_straight_lining_in_blocks_is_caught_when_the_point_changes(inst):
    df = simulate(inst, 300, seed=5).responses
    for k, c in enumerate(inst.constructs):  # a different point per block: no long run across blocks
        df.loc[0, list(c.item_ids)] = 1 + k % 5
    flags = check_responses(inst, df).flags
    assert flags.loc[0, "flag_long_string"] and flags.loc[0, "straight_blocks"] == 10


def rates(name: str, n: int, seed: int, missing: float = 0.0) -> dict:
    inst = load_instrument(seed_instrument_path(name))
    sim = simulate(inst, n, seed=seed, careless=0.1, speeders=0.05, missing=missing,
                   missing_mechanism="MAR" if missing else "MCAR")
    flags = check_responses(inst, sim.responses).flags.set_index("respondent_id")
    truth = sim.truth.rows.set_index("respondent_id")
    kind = pd.Series("", index=flags.index)
    kind[truth.index] = truth["careless"]
    speeder = pd.Series(False, index=flags.index)
    speeder[truth.index] = truth["speeder"]
    clean = (kind == "") & ~speeder
    out = {k: flags.loc[kind == k, "flagged"].mean() for k in ("straight", "random", "attention")}
    out["speeder"] = flags.loc[speeder, "flagged"].mean()
    out["careless"] = flags.loc[~clean, "flagged"].mean()
    out["clean"] = flags.loc[clean, "flagged"].mean()
    return out


@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_recall_and_false_positives_on_simulated_careless_respondents(name):
    # 3000 respondents: about 100 of each careless kind and 150 speeders. Measured on 20,000
    # (seed 11): recall 0.98-1.00 for random responders, 1.00 for the others; 0.4-0.5% of
    # careful respondents flagged (mostly the 0.3% whose natural duration is under 0.4 x median).
    r = rates(name, 3000, seed=20261122)
    for kind in ("straight", "random", "attention", "speeder"):
        assert r[kind] >= 0.9, (kind, r)
    assert r["careless"] >= 0.95, r
    assert r["clean"] <= 0.05, r


def test_recall_and_false_positives_with_blanks():
    # 4% blank item cells, more among the old (MAR): blanks must neither hide careless
    # respondents nor make careful ones look careless.
    r = rates("ri_asset", 3000, seed=3, missing=0.04)
    assert min(r["straight"], r["random"], r["attention"], r["speeder"]) >= 0.9, r
    assert r["clean"] <= 0.05, r
