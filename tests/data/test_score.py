"""score: a hand computation on a small fixture (reverse items, blanks, codes off the scale), no row lost."""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest

from govstats import check_responses, load_instrument, score, simulate
from govstats.resources import seed_instrument_path


@pytest.fixture
def inst(write, example):
    # The README example (PS1 PS2 PS3-reversed on agree5, CI1-3, PA1-4 on freq5), with CI on
    # a scale that has a "don't know" code.
    example["scales"] = {"agree5dk": {
        "type": "likert", "label": {"zh": "同意程度", "en": "Agreement"},
        "points": [{"code": c, "zh": f"第{c}级", "en": f"level {c}"} for c in range(1, 6)],
        "missing": [{"code": 9, "zh": "不清楚", "en": "Don't know"}]}}
    example["constructs"][1]["scale"] = "agree5dk"
    return load_instrument(write(example))


def fixture_frame() -> pd.DataFrame:
    na = pd.NA
    return pd.DataFrame({
        "respondent_id": [101, 102, 103, 104, 105],
        "consent": [1, 1, 1, 1, 0],
        "PS1": [4, 1, 3, 9, 2],        # 9 is not on agree5: not an answer
        "PS2": [5, na, na, 4, 2],
        "PS3": [2, 5, na, 3, 4],       # reversed: 6 - code
        "CI1": [3, 9, 2, 1, 3],        # 9 "don't know": not an answer
        "CI2": [4, 9, 3, 2, 3],
        "CI3": [5, 2, na, 5, 3],
        "PA1": [1, 2, 3, 4, 5],
        "PA2": [2, na, 3, 4, 5],
        "PA3": [3, na, na, 4, 5],
        "PA4": [4, 5, 3, 1, 5],
    }, dtype="Int64")


def test_scores_equal_a_hand_computation(inst):
    s = score(inst, fixture_frame())
    # PS (3 items, at least 2 answered): 101 (4 + 5 + (6-2)) / 3; 102 (1 + (6-5)) / 2;
    # 103 one answer: no score; 104 (4 + (6-3)) / 2; 105 declined consent: not scored.
    ps = [13 / 3, 1.0, np.nan, 3.5, np.nan]
    np.testing.assert_allclose(s["PS_mean"], ps, rtol=1e-12)
    np.testing.assert_allclose(s["PS_sum"], [13, 3, np.nan, 10.5, np.nan], rtol=1e-12)
    assert s["PS_n"].tolist() == [3, 2, 1, 2, 0]
    # CI: 102 has two "don't know" (9), one answer: no score.
    np.testing.assert_allclose(s["CI_mean"], [4.0, np.nan, 2.5, 8 / 3, np.nan], rtol=1e-12)
    # PA (4 items, at least 3 answered): 102 has 2.
    np.testing.assert_allclose(s["PA_mean"], [2.5, np.nan, 3.0, 13 / 4, np.nan], rtol=1e-12)
    np.testing.assert_allclose(s["PA_sum"], [10, np.nan, 12, 13, np.nan], rtol=1e-12)
    # z: the mean standardized over the rows returned, sample sd (n - 1).
    present = [v for v in ps if not np.isnan(v)]
    m, sd = statistics.mean(present), statistics.stdev(present)
    np.testing.assert_allclose(s["PS_z"], [(v - m) / sd for v in ps], rtol=1e-12)
    assert s["respondent_id"].tolist() == [101, 102, 103, 104, 105]
    assert s["row"].tolist() == [2, 3, 4, 5, 6]
    # PS1 = 9 on row 104 is off agree5 (only CI's scale declares 9 missing): counted, not scored
    assert "1 not scored (1 declined consent)" in s.attrs["score"]["summary"]
    assert "1 with off-scale codes" in s.attrs["score"]["summary"]


def test_min_answered(inst):
    df = fixture_frame()
    assert np.isnan(score(inst, df, min_answered=1.0)["PS_mean"].iloc[1])   # 2 of 3 is not all
    assert score(inst, df, min_answered=0.3)["PS_mean"].iloc[2] == 3.0      # 1 of 3 suffices
    assert score(inst, df, min_answered=0.67)["PA_mean"].iloc[0] == 2.5     # ceil(0.67 * 4) = 3


def test_flagged_are_kept_and_marked_unless_excluded(inst):
    df = fixture_frame()
    kept = score(inst, df)
    assert len(kept) == 5 and kept["flagged"].tolist()[-1] and "no-consent" in kept["flag_reasons"].iloc[-1]
    assert kept.attrs["score"]["excluded"] == 0
    out = score(inst, df, exclude_flagged=True)
    flagged = int(kept["flagged"].sum())
    assert len(out) == 5 - flagged and 105 not in out["respondent_id"].tolist()
    assert out.attrs["score"]["excluded"] == flagged
    assert out.attrs["score"]["flag_reasons"]["no-consent"] == 1
    assert f"scored {5 - flagged} of 5 respondents" in out.attrs["score"]["summary"]
    assert "no-consent 1" in out.attrs["score"]["summary"]
    # z is recomputed over the rows returned
    ps = out["PS_mean"].dropna()
    np.testing.assert_allclose(out["PS_z"].dropna(), (ps - ps.mean()) / ps.std(ddof=1), rtol=1e-12)


def test_no_row_is_lost_and_the_input_is_not_changed():
    inst = load_instrument(seed_instrument_path("ri_asset"))
    df = simulate(inst, 500, seed=3, careless=0.1, missing=0.05).responses
    df.index = pd.RangeIndex(10, 510)
    before = df.copy(deep=True)
    s = score(inst, df)
    pd.testing.assert_frame_equal(df, before)
    assert s.index.equals(df.index) and s["respondent_id"].tolist() == df["respondent_id"].tolist()
    report = check_responses(inst, df)
    assert s["flagged"].tolist() == report.flags["flagged"].tolist()
    out = score(inst, df, exclude_flagged=True, report=report)
    assert len(out) + int(report.flags["flagged"].sum()) == len(df)


def test_reverse_coding_follows_the_construct():
    # Every construct's mean score correlates with the latent value that generated it,
    # which fails if a reverse-coded item is not reversed (or a plain one is).
    inst = load_instrument(seed_instrument_path("ri_asset"))
    sim = simulate(inst, 2000, seed=4, return_latent=True)
    s = score(inst, sim.responses)
    for c in inst.constructs:
        r = np.corrcoef(s[f"{c.id}_mean"], sim.latent[c.id])[0, 1]
        assert r > 0.75, (c.id, r)
    reversed_items = [i for i in inst.items if i.reverse]
    assert reversed_items  # the test means something only with reversed items


def test_bad_arguments(inst):
    df = fixture_frame()
    for bad in (0, 1.5, True, "2/3"):
        with pytest.raises(ValueError, match="'min_answered' parameter of score must be a share in"):
            score(inst, df, min_answered=bad)
    with pytest.raises(ValueError, match="'exclude_flagged' parameter of score must be True or False"):
        score(inst, df, exclude_flagged="yes")
    with pytest.raises(ValueError, match="'df' parameter of score must be a pandas DataFrame"):
        score(inst, df.to_dict())
    with pytest.raises(ValueError, match="'report' parameter of score must be the check of this DataFrame"):
        score(inst, df, report=check_responses(inst, df.head(2)))
