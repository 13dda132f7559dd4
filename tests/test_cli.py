"""The command line: exit codes, messages on stderr, JSON, show and demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import govstats
from govstats.cli import main
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "pandas", "scipy", "statsmodels", "sklearn", "matplotlib")


def python(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_import_govstats_imports_no_numeric_stack():
    # Start-up: the public names are imported on first use, so `import govstats` stays cheap.
    out = python("-c", "import govstats, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                       f"{HEAVY!r}))").stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["fit", "--help"], ["demo", "--help"]])
def test_parser_imports_no_numeric_stack(argv):
    # `govstats --help` builds the parser only; the commands import numpy, pandas and scipy when they run.
    result = python("-X", "importtime", "-m", "govstats.cli", *argv)
    assert "govstats" in result.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")]
    assert "govstats.cli" in imported or "govstats" in imported
    assert [m for m in imported if m.split(".")[0] in HEAVY] == []


def test_public_names_resolve_lazily_to_their_objects():
    from govstats.data import simulate
    from govstats.sem.fit import fit

    assert govstats.fit is fit and govstats.simulate is simulate
    assert set(govstats.__all__) <= set(dir(govstats))
    for name in govstats.__all__:
        assert getattr(govstats, name) is not None, name
    namespace: dict = {}
    exec("from govstats import *", namespace)
    assert set(govstats.__all__) <= set(namespace)
    assert govstats.__version__ == namespace["__version__"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        govstats.nope  # noqa: B018


def test_check_all_seed_instruments_exits_0(capsys):
    paths = [str(seed_instrument_path(n)) for n in SEED_INSTRUMENTS]
    assert main(["instrument", "check", *paths]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok (") == len(SEED_INSTRUMENTS)


def test_check_bad_instrument_exits_1_with_located_messages(write, example, capsys):
    del example["constructs"][0]["items"][0]["text"]["en"]
    example["constructs"][1]["role"] = "predictor"
    good, bad = str(seed_instrument_path("ri_asset")), str(write(example))
    assert main(["instrument", "check", good, bad]) == 1
    captured = capsys.readouterr()
    assert "missing-translation" in captured.err and "constructs[0].items[0].text.en" in captured.err
    assert "invalid-value" in captured.err and "constructs[1].role" in captured.err
    assert bad not in captured.out


def test_check_json(write, example, capsys):
    example["constructs"][0]["items"][0]["loading"] = 1.3
    assert main(["instrument", "check", "--json", str(write(example))]) == 1
    (report,) = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    (problem,) = report["problems"]
    assert problem["code"] == "population-out-of-range"
    assert problem["location"] == "constructs[0].items[0].loading"
    assert isinstance(problem["line"], int)


def test_show_prints_constructs_items_and_model(capsys):
    assert main(["instrument", "show", str(seed_instrument_path("platform_dilemma")), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "社会组织自主性" in out
    assert "AU <- GP -0.30, RD -0.35" in out
    assert "AU ~ GP + RD" in out


@pytest.mark.slow  # the whole demo (one run shared by the demo tests; tests/test_install.py runs it as the README does)
def test_demo_runs_all_its_steps(demo_run):
    out = demo_run[0]
    assert "ri_asset" in out and "RIE ~ CD + CI + PE + SE" in out
    assert "Step 2. Simulate 600 respondents" in out
    assert "(blanks handled pairwise)" in out  # the simulated field data have blanks
    assert "Step 8. Measurement invariance across the districts" in out
    assert "Partial invariance, CD=~CD2, CI3~1" in out  # the planted differences, found
    assert "Step 9. Residents within communities" in out and "Community ICCs" in out
    assert "Step 10. The report" in out and "report.html" in out and "report.docx" in out


@pytest.mark.slow
def test_demo_validation_walks_pilot_revision_and_main_study(capsys, tmp_path):
    assert main(["demo", "--validation", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "weak items planted: AU5 (misread_reverse), IN3 (low_loading), RM1 (ceiling)" in out
    assert "party_building.yaml is now version 1.2.0" in out
    assert (tmp_path / "party_building.v1.0.0.yaml").is_file()


@pytest.mark.slow
def test_demo_fits_blanks_by_fiml_with_mlr(capsys):
    assert main(["demo", "--estimator", "MLR"]) == 0
    assert "missing-data patterns), converged" in capsys.readouterr().out


def test_missing_file_is_a_message_not_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "govstats", "instrument", "check", str(tmp_path / "x.yaml")],
                            capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 1
    assert "file-not-found" in result.stderr and "Traceback" not in result.stderr


def test_simulate_writes_csv_and_truth(tmp_path, capsys):
    out, truth = tmp_path / "r.csv", tmp_path / "t.json"
    code = main(["simulate", str(seed_instrument_path("grid_governance")), "-n", "300", "--seed", "4",
                 "-o", str(out), "--truth", str(truth), "--careless", "0.1", "--missing", "0.02"])
    assert code == 0
    import pandas as pd

    df = pd.read_csv(out, encoding="utf-8")
    assert len(df) == 300 and "QE5" in df.columns
    report = json.loads(truth.read_text(encoding="utf-8"))
    assert report["settings"]["seed"] == 4 and report["settings"]["careless"] == 0.1
    assert "300 respondents" in capsys.readouterr().out


def test_simulate_bad_rate_is_a_message(tmp_path, capsys):
    code = main(["simulate", str(seed_instrument_path("grid_governance")), "-n", "10",
                 "-o", str(tmp_path / "r.csv"), "--missing", "1.5"])
    assert code == 2
    assert "The option --missing must be a rate" in capsys.readouterr().err
