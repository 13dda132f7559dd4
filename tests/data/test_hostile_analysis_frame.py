"""Nothing analysed that the instrument calls invalid: one reading path for every analysis.

Declared missing codes become blanks with their reason; off-scale values and respondents
without consent are left out and counted in each analysis's result; with lavaan-style syntax
and no instrument the values are taken as they are.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from govstats import check_responses, efa, fit, load_instrument, read_responses, reliability, score, simulate, validity
from govstats.data.analysis_frame import analysis_frame
from govstats.resources import seed_instrument_path

OFF_SCALE = [4.5, 3.0000000001, np.inf, 99, -9, -np.inf]


@pytest.fixture(scope="module")
def grid():
    return load_instrument(seed_instrument_path("grid_governance"))


@pytest.fixture(scope="module")
def messy(grid):
    """400 simulated respondents: 61 with one off-scale value, 37 (others) who declined consent."""
    df = simulate(grid, 400, seed=3).responses
    items = [i.id for i in grid.items]
    df = df.astype({c: "Float64" for c in items})
    rng = np.random.default_rng(0)
    bad = rng.choice(400, 61, replace=False)
    for k, r in enumerate(bad):
        df.loc[r, items[(7 * k) % len(items)]] = OFF_SCALE[k % len(OFF_SCALE)]
    declined = rng.choice(np.setdiff1d(np.arange(400), bad), 37, replace=False)
    df.loc[declined, "consent"] = 0
    return df, set(bad), set(declined)


EXPECTED = {"n_input": 400, "n_used": 302, "off_scale": 61, "declined_consent": 37}


def _counts(exclusions: dict) -> dict:
    return {k: exclusions[k] for k in EXPECTED}


def test_analysis_frame_counts_and_keeps_only_valid_rows(grid, messy):
    df, bad, declined = messy
    frame = analysis_frame(grid, df)
    assert _counts(frame.exclusions) == EXPECTED
    assert frame.summary() == "302 of 400 respondents used: 37 declined consent, 61 with off-scale codes left out"
    kept = set(frame.data.index)
    assert not kept & bad and not kept & declined and len(kept) == 302
    items = [i.id for i in grid.items]
    values = frame.data[items].to_numpy(dtype=float)
    assert np.isin(values[~np.isnan(values)], [1, 2, 3, 4, 5]).all()
    assert (frame.reasons[sorted(bad)] == "off_scale").all()
    df_before = df.copy()
    analysis_frame(grid, df)
    pd.testing.assert_frame_equal(df, df_before)  # the input is never changed


def test_every_analysis_reports_the_same_exclusions(grid, messy):
    df, _, _ = messy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = reliability(grid, df)
        val = validity(grid, df)
        ex = efa(df, instrument=grid)
        res = fit(grid, df)
    for result in (rel, val, ex, res):
        assert _counts(result.exclusions) == EXPECTED
    assert rel.nobs == val.nobs == ex.nobs == res.nobs == 302
    assert "302 of 400 respondents used" in rel.text() and "302 of 400 respondents used" in ex.text()
    assert rel.to_dict()["exclusions"]["off_scale"] == 61
    assert "302 of 400 respondents used" in res.summary()  # fit: in its warnings, so in summary and JSON


def test_score_does_not_score_who_declined(grid, messy):
    df, bad, declined = messy
    s = score(grid, df)
    assert len(s) == 400  # one row per input row, as always
    rows = sorted(declined)
    assert s.iloc[rows][[f"{c.id}_mean" for c in grid.constructs]].isna().all().all()
    assert "37 not scored (37 declined consent)" in s.attrs["score"]["summary"]
    assert "61 with off-scale codes" in s.attrs["score"]["summary"]


def test_syntax_without_instrument_takes_values_as_they_are(grid, messy):
    # As lavaan: no instrument, no scale: 4.5 and 99 are numbers like any other; consent is
    # not a model variable. Only inf (not a number) leaves its row out, as a blank would.
    df, bad, declined = messy
    syntax = "VS =~ VS1 + VS2 + VS3 + VS4"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit(syntax, df[["VS1", "VS2", "VS3", "VS4"]].astype(float).replace([np.inf, -np.inf], np.nan))
        rel = reliability(syntax, df)
    assert res.exclusions == {} and rel.exclusions == {}
    finite = np.isfinite(df[["VS1", "VS2", "VS3", "VS4"]].to_numpy(dtype=float)).all(axis=1)
    assert rel.nobs == int(finite.sum()) > 302


def test_declared_missing_codes_are_blanks_with_their_reason(write, example):
    example["scales"] = {"agree5dk": {
        "type": "likert", "label": {"zh": "同意程度", "en": "Agreement"},
        "points": [{"code": c, "zh": f"第{c}级", "en": f"level {c}"} for c in range(1, 6)],
        "missing": [{"code": 9, "zh": "不清楚", "en": "Don't know"}]}}
    example["constructs"][1]["scale"] = "agree5dk"
    inst = load_instrument(write(example))
    df = simulate(inst, 300, seed=5).responses.astype({"CI1": "Int64", "CI2": "Int64"})
    df.loc[:9, "CI1"] = 9     # "don't know": a blank, not 9 on the scale
    df.loc[10, "CI2"] = 99    # not declared: off the scale
    frame = analysis_frame(inst, df)
    assert frame.missing == {"CI1": {"missing code 9 (Don't know)": 10}}
    assert frame.exclusions["declared_missing"] == 10 and frame.exclusions["off_scale"] == 1
    assert frame.data.loc[:9, "CI1"].isna().all()
    assert "10 answers with a declared missing code read as blank" in frame.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = reliability(inst, df)
    assert rel.nobs == 300 - 10 - 1  # listwise: the blanks, and the off-scale respondent
    assert rel.n_dropped == 10 and rel.exclusions["off_scale"] == 1


def test_spss_user_missing_values_are_declared_missing(tmp_path, grid):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = simulate(grid, 200, seed=8).responses
    out = pd.DataFrame({c: df[c].astype("float64") for c in ["respondent_id", "consent"] +
                        [i.id for i in grid.items]})
    out.loc[:4, "VS1"] = 99.0   # declared user-missing in the file: a blank
    out.loc[5, "VS2"] = 98.0    # not declared: off the scale
    path = tmp_path / "r.sav"
    pyreadstat.write_sav(out, str(path), missing_ranges={"VS1": [99.0]})
    read = read_responses(path, grid)
    assert read.attrs["govstats_read"]["user_missing"] == {"VS1": [{"lo": 99.0, "hi": 99.0}]}
    frame = analysis_frame(grid, read)
    assert frame.missing == {"VS1": {"declared user-missing in the .sav file (99)": 5}}
    assert frame.exclusions["off_scale"] == 1 and frame.exclusions["n_used"] == 199
    # check agrees: the declared 99s are no problem, the undeclared 98 is
    p = check_responses(grid, read).problems
    assert p.loc[p["rule"] == "code-out-of-range", ["row", "column"]].values.tolist() == [[7, "VS2"]]


def test_duplicate_item_columns_are_a_located_error(grid):
    df = simulate(grid, 50, seed=1).responses
    twice = pd.concat([df, df[["VS1"]]], axis=1)
    with pytest.raises(ValueError, match=r"more than one column named 'VS1' \(columns \d+, \d+\)"):
        analysis_frame(grid, twice)
    with pytest.raises(ValueError, match="more than one column named"):
        efa(twice, items=["VS1", "VS2", "VS3", "VS4"])
    with pytest.raises(ValueError, match="more than one column named"):
        reliability("VS =~ VS1 + VS2 + VS3", twice)


def test_chinese_item_names_are_analysed_not_dropped():
    rng = np.random.default_rng(1)
    f = rng.normal(size=300)
    df = pd.DataFrame({n: np.clip(np.round(3 + f + rng.normal(size=300)), 1, 5)
                       for n in ["CP1", "CP2", "CP3", "认同1"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = reliability("F =~ CP1 + CP2 + CP3 + 认同1", df)
        same = reliability({"F": ["CP1", "CP2", "CP3", "认同1"]}, df)
    assert rel.table.loc["F", "n_items"] == 4
    assert rel.items["item"].tolist() == ["CP1", "CP2", "CP3", "认同1"]
    assert rel.table.loc["F", "alpha"] == pytest.approx(same.table.loc["F", "alpha"], abs=1e-12)
    assert rel.table.loc["F", "cr"] == pytest.approx(same.table.loc["F", "cr"], abs=1e-9)


@pytest.mark.parametrize("syntax, term", [("F =~ CP1 + CP-2 + CP3", "CP-2"), ("F =~ CP1 + + CP3", ""),
                                          ("F =~ CP1 + 2CP + CP3", "2CP")])
def test_syntax_terms_that_are_no_names_are_refused_with_their_line(syntax, term):
    df = pd.DataFrame(np.ones((5, 3)), columns=["CP1", "CP2", "CP3"])
    with pytest.raises(ValueError, match=rf"line 1 .*the term '{term}'"):
        reliability(syntax, df)


def test_no_respondent_left_says_why(grid):
    from govstats.errors import DataError

    df = simulate(grid, 100, seed=1).responses
    df["consent"] = 0
    for analysis in (lambda d: reliability(grid, d), lambda d: efa(d, instrument=grid), lambda d: fit(grid, d)):
        with pytest.raises(DataError, match="no respondent is left to analyse: 0 of 100 respondents used: "
                                            "100 declined consent left out"):
            analysis(df)
    s = score(grid, df)  # a row per input row, none scored
    assert len(s) == 100 and s["VS_mean"].isna().all()
    assert "100 not scored (100 declined consent)" in s.attrs["score"]["summary"]


def test_missing_item_columns_are_a_data_error_naming_them(grid):
    from govstats.errors import DataError

    df = simulate(grid, 50, seed=1).responses.drop(columns=["VS1", "QE5"])
    for analysis in (lambda d: analysis_frame(grid, d), lambda d: reliability(grid, d),
                     lambda d: efa(d, instrument=grid)):
        with pytest.raises(DataError, match=r"no column for 2 item\(s\) of instrument 'grid_governance': "
                                            r"\['VS1', 'QE5'\]"):
            analysis(df)


def test_consent_given_as_label_text_counts_as_consent(grid):
    df = simulate(grid, 40, seed=2).responses.astype({"consent": object})
    df.loc[:9, "consent"] = "是"
    df.loc[10:14, "consent"] = "No"
    df.loc[15, "consent"] = "maybe"
    frame = analysis_frame(grid, df)
    assert (frame.exclusions["declined_consent"], frame.exclusions["no_consent"]) == (5, 1)
    assert frame.exclusions["n_used"] == 34
