"""govstats check and govstats score on the command line; demo steps 3 and 4."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from responses_support import SYNTHETIC, messy_export, write_csv

from govstats.cli import main
from govstats.resources import seed_instrument_path

INSTRUMENT = str(seed_instrument_path("ri_asset"))


@pytest.fixture
def messy(tmp_path):
    ex = messy_export()
    return ex, str(write_csv(ex, tmp_path / "messy.csv", encoding="gbk"))


def test_check_prints_the_summary_and_writes_the_report(tmp_path, capsys, messy):
    ex, path = messy
    out_json, out_csv = tmp_path / "report.json", tmp_path / "flagged.csv"
    assert main(["check", INSTRUMENT, path, "--json", str(out_json), "--flagged", str(out_csv)]) == 0
    text = capsys.readouterr().out
    assert "Schema: 18 problems on 17 rows" in text and "row 5 id 4 IC2: code-out-of-range" in text
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert {(p["row"], p["column"], p["rule"]) for p in data["problems"] if p["kind"] == "schema"} == ex.expected
    flagged = pd.read_csv(out_csv)
    assert len(flagged) == len(data["flagged"]) and {"row", "respondent_id", "reasons"} <= set(flagged.columns)


def test_strict_fails_on_schema_problems_only(capsys, messy):
    _, path = messy
    assert main(["check", INSTRUMENT, path, "--strict"]) == 1
    # The clean file has quality flags (a few careful respondents look careless) but no schema problem.
    assert main(["check", INSTRUMENT, str(SYNTHETIC / "ri_asset.csv"), "--strict"]) == 0
    assert "Schema: no problems" in capsys.readouterr().out


def test_check_with_encoding(capsys, messy):
    _, path = messy
    assert main(["check", INSTRUMENT, path, "--encoding", "gbk"]) == 0
    assert main(["check", INSTRUMENT, path, "--encoding", "utf-8"]) == 1
    assert "not valid utf-8 text" in capsys.readouterr().err


def test_score_writes_every_row(tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert main(["score", INSTRUMENT, str(SYNTHETIC / "ri_asset_messy.csv"), "-o", str(out)]) == 0
    scores = pd.read_csv(out)
    assert len(scores) == 600 and scores["row"].tolist() == list(range(2, 602))
    said = capsys.readouterr().out
    n_flagged = int(scores["flagged"].sum())
    assert f"scored 600 respondents on 10 constructs (at least 2/3 of a construct's items answered); " \
           f"{n_flagged} flagged and kept" in said


def test_score_excluding_flagged(tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert main(["score", INSTRUMENT, str(SYNTHETIC / "ri_asset_messy.csv"), "-o", str(out),
                 "--exclude-flagged", "--min-answered", "0.75"]) == 0
    scores = pd.read_csv(out)
    said = capsys.readouterr().out
    assert not scores["flagged"].any()
    assert f"scored {len(scores)} of 600 respondents" in said and "at least 3/4" in said
    assert f"{600 - len(scores)} flagged and excluded: " in said


def test_bad_min_answered(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["score", INSTRUMENT, str(SYNTHETIC / "ri_asset.csv"), "-o", str(tmp_path / "x.csv"),
              "--min-answered", "3/2"])
    assert exit_.value.code == 2 and "expected a share in (0, 1]" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [(b"", "is empty"), (b"\x00\x01\x02garbage\x00", "binary file"),
                                              (b"only\n1\n", "single column"),
                                              (b"respondent_id,consent\n", "header but no data rows")])
def test_garbage_files_give_a_message_not_a_traceback(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    for command in (["check", INSTRUMENT, str(path)], ["score", INSTRUMENT, str(path), "-o", str(tmp_path / "o")]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.startswith("govstats: ")


def test_missing_file(tmp_path, capsys):
    assert main(["check", INSTRUMENT, str(tmp_path / "nope.csv")]) == 2
    assert "No such response file" in capsys.readouterr().err


@pytest.mark.slow  # the whole demo (one run shared by the demo tests)
def test_demo_checks_and_scores(demo_run):
    out = demo_run[0]
    assert "Step 3. Check the responses" in out and "Step 4. Score the constructs" in out
    assert "The check flagged 51 of the 51 careless or speeding respondents planted." in out
