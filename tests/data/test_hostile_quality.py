"""Careless-respondent flags on short instruments: honest respondents about as rarely flagged as
on long ones, planted careless respondents still caught, thresholds settable on the command line."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from govstats import check_responses, load_instrument, simulate
from govstats.cli import main
from govstats.data import quality as ql
from govstats.resources import seed_instrument_path
from tests_support import readme_example_text


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """The README example cut to 9 items in three blocks of three (PS, CI, PA)."""
    ex = yaml.safe_load(readme_example_text())
    ex["constructs"][2]["items"] = ex["constructs"][2]["items"][:3]
    path = tmp_path_factory.mktemp("short") / "short9.yaml"
    path.write_text(yaml.safe_dump(ex, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_instrument(path)


@pytest.fixture(scope="module")
def two_blocks(tmp_path_factory):
    """Six items in two blocks of three."""
    ex = yaml.safe_load(readme_example_text())
    ex["constructs"] = ex["constructs"][:2]
    ex["model"]["paths"] = {"CI": {"PS": 0.5}}
    path = tmp_path_factory.mktemp("two") / "two.yaml"
    path.write_text(yaml.safe_dump(ex, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_instrument(path)


def _rates(inst, n, seed):
    sim = simulate(inst, n, seed=seed, careless=0.1, speeders=0.05)
    flags = check_responses(inst, sim.responses).flags.set_index("respondent_id")
    truth = sim.truth.rows.set_index("respondent_id")
    kind = pd.Series("", index=flags.index)
    kind[truth.index] = truth["careless"]
    speeder = pd.Series(False, index=flags.index)
    speeder[truth.index] = truth["speeder"]
    clean = (kind == "") & ~speeder
    out = {k: flags.loc[kind == k, "flagged"].mean() for k in ("straight", "random", "attention")}
    out["speeder"] = flags.loc[speeder, "flagged"].mean()
    out["clean"] = flags.loc[clean, "flagged"].mean()
    return out


def test_limits_scale_with_the_instrument():
    th = ql.THRESHOLDS
    long = ql.limits(th, 41, [4] * 9 + [5], [4] * 41)
    short = ql.limits(th, 9, [3, 3, 3], [4] * 9)
    assert (long.run, long.irv) == (21, 0.5)            # the seed instruments: as calibrated
    assert short.run == 8 and short.irv < 0.3           # more than two blocks; a lower IRV
    assert ql.limits(th, 6, [3, 3], [4] * 6).run == 6   # never more than every item
    assert ql.limits(dict(th, longstring_share=1.0), 9, [3, 3, 3], [4] * 9).run == 9


def test_honest_respondents_rarely_flagged_on_a_short_instrument(short):
    # Before the limits scaled: 5.8% of 20,000 (seed 11), 5% for long-string alone.
    report = check_responses(short, simulate(short, 5000, seed=11).responses)
    flags = report.flags
    assert flags["flagged"].mean() <= 0.012, flags.filter(like="flag_").mean()
    assert report.limits["run"] == 8 and "(here a run of 8 of 9)" in report.text()
    assert flags["flag_long_string"].mean() <= 0.006


@pytest.mark.parametrize("name", ["ri_asset", "platform_dilemma"])
def test_honest_respondents_rarely_flagged_on_the_seed_instruments(name):
    inst = load_instrument(seed_instrument_path(name))
    flags = check_responses(inst, simulate(inst, 5000, seed=11).responses).flags
    assert flags["flagged"].mean() <= 0.01


@pytest.mark.parametrize("fixture", ["short", "two_blocks"])
def test_planted_careless_respondents_are_still_caught_on_short_instruments(request, fixture):
    r = _rates(request.getfixturevalue(fixture), 4000, seed=20261122)
    assert r["straight"] == 1.0 and r["attention"] == 1.0 and r["speeder"] >= 0.95, r
    assert r["random"] >= 0.75, r    # 6-9 random answers: far fewer clues than 41
    assert r["clean"] <= 0.012, r


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["short", "two_blocks"])
def test_false_positive_rate_on_20000_honest_respondents(request, fixture):
    inst = request.getfixturevalue(fixture)
    flags = check_responses(inst, simulate(inst, 20000, seed=11).responses).flags
    assert flags["flagged"].mean() <= 0.01, flags.filter(like="flag_").mean()


def test_block_straight_lining_needs_three_blocks(two_blocks):
    df = simulate(two_blocks, 300, seed=3).responses
    df.loc[0, ["PS1", "PS2", "PS3"]] = [4, 4, 2]   # PS3 is reversed: still the same point written
    df.loc[0, ["CI1", "CI2", "CI3"]] = [2, 2, 2]
    flags = check_responses(two_blocks, df).flags
    assert flags.loc[0, "straight_blocks"] == 1 and not flags.loc[0, "flag_long_string"]


def test_thresholds_on_the_command_line(tmp_path, capsys, short):
    data = tmp_path / "r.csv"
    sim = simulate(short, 400, seed=2, careless=0.1)
    sim.responses.to_csv(data, index=False)
    assert main(["check", str(short.source), str(data), "--json", str(tmp_path / "a.json")]) == 0
    assert main(["check", str(short.source), str(data), "--json", str(tmp_path / "b.json"),
                 "--threshold", "mahalanobis_alpha=0.2", "--threshold", "irv_share=1/2"]) == 0
    import json

    a = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert b["thresholds"]["mahalanobis_alpha"] == 0.2 and b["thresholds"]["irv_share"] == 0.5
    assert a["thresholds"]["mahalanobis_alpha"] == 0.001
    assert len(b["flagged"]) > len(a["flagged"])
    assert main(["score", str(short.source), str(data), "-o", str(tmp_path / "s.csv"), "--exclude-flagged",
                 "--threshold", "mahalanobis_alpha=0.2", "--threshold", "irv_share=0.5"]) == 0
    scored = pd.read_csv(tmp_path / "s.csv")
    assert len(scored) == 400 - len(b["flagged"])  # the same thresholds, the same respondents flagged
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["check", str(short.source), str(data), "--threshold", "longstring=0.5"])
    assert info.value.code == 2
    assert "longstring_share" in capsys.readouterr().err


def test_score_passes_thresholds_to_its_check(short):
    df = simulate(short, 300, seed=4, careless=0.1).responses
    from govstats import score

    strict = score(short, df, thresholds={"mahalanobis_alpha": 0.2})
    default = score(short, df)
    assert strict["flagged"].sum() > default["flagged"].sum()
    with pytest.raises(ValueError, match="'thresholds' parameter"):
        score(short, df, thresholds={"nonsense": 0.1})
