"""``govstats power``: analytic answers, a power curve with its plot, resuming, and errors
without tracebacks."""

from __future__ import annotations

import pandas as pd
import pytest

from govstats.cli import main
from govstats.planning import montecarlo
from govstats.resources import seed_instrument_path

POP = """f1 =~ 0.7*x1 + 0.7*x2 + 0.6*x3
f2 =~ 0.7*y1 + 0.6*y2 + 0.7*y3
f2 ~ 0.35*f1
"""


@pytest.fixture()
def population(tmp_path):
    path = tmp_path / "population.lav"
    path.write_text(POP, encoding="utf-8")
    return path


def test_analytic_rmsea_a_priori(capsys):
    assert main(["power", "--analytic", "--df", "100", "--rmsea0", "0", "--rmsea1", ".05", "--power", ".8"]) == 0
    out = capsys.readouterr().out
    assert "a priori power analysis, exact fit (df = 100)" in out and "N = 164" in out


def test_analytic_parameters_post_hoc(population, capsys):
    assert main(["power", str(population), "--analytic", "--parameters", "f2~f1", "--n", "200"]) == 0
    assert "post hoc power analysis, parameters f2~f1 (lr)" in capsys.readouterr().out


def test_curve_plot_csv_and_resume(population, tmp_path, capsys):
    run = tmp_path / "run.parquet"
    args = ["power", str(population), "--n", "150", "--workers", "1", "--resume", str(run)]
    assert main(args + ["--reps", "3"]) == 0
    assert len(pd.read_parquet(run)) == 3
    png, csv = tmp_path / "p.png", tmp_path / "s.csv"
    assert main(args + ["--reps", "5", "--plot", str(png), "--csv", str(csv)]) == 0  # resumes: 2 new replications
    out = capsys.readouterr().out
    assert "Smallest N with power >= 0.8" in out and "f2~f1" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(summary.n) == [150] and (summary.reps == 5).all()
    fresh = montecarlo.power(POP, n=[150], reps=5, seed=1, executor="serial")
    pd.testing.assert_frame_equal(summary[["n", "power", "coverage"]], fresh.summary[["n", "power", "coverage"]],
                                  check_dtype=False)
    fresh.plot(tmp_path / "p.svg")
    assert b"<svg" in (tmp_path / "p.svg").read_bytes()[:400]


def test_interrupted_run_exits_130_and_resumes(population, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run.parquet"
    real, calls = montecarlo.replicate, {"n": 0}

    def interrupted(design, task):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return real(design, task)

    args = ["power", str(population), "--n", "150", "--reps", "6", "--workers", "1", "--resume", str(run)]
    monkeypatch.setattr(montecarlo, "DEFAULT_BATCH", 2)
    monkeypatch.setattr(montecarlo.power, "__kwdefaults__", {**montecarlo.power.__kwdefaults__, "batch_size": 2})
    monkeypatch.setattr(montecarlo, "replicate", interrupted)
    assert main(args) == 130
    assert "interrupted" in capsys.readouterr().err
    assert len(pd.read_parquet(run)) == 2  # the first batch of two replications was saved
    monkeypatch.setattr(montecarlo, "replicate", real)
    assert main(args) == 0
    assert len(pd.read_parquet(run)) == 6


@pytest.mark.parametrize("argv, code, message", [
    (["power", "--analytic", "--df", "100"], 2, "--analytic needs --df, --rmsea0 and --rmsea1"),
    (["power", "missing.lav", "--reps", "2"], 2, "does not exist"),
    (["power"], 2, "MODEL is needed"),
])
def test_errors_are_one_line(argv, code, message, capsys):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_sizes_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:  # argparse: usage and exit 2
        main(["power", "--n", "1000:200", "x.lav"])
    assert exc.value.code == 2 and "--n takes start:stop:step" in capsys.readouterr().err


def test_resume_with_other_settings_is_refused(population, tmp_path, capsys):
    run = tmp_path / "run.parquet"
    assert main(["power", str(population), "--n", "150", "--reps", "2", "--workers", "1", "--resume", str(run)]) == 0
    assert main(["power", str(population), "--n", "150", "--reps", "2", "--workers", "1", "--resume", str(run),
                 "--seed", "2"]) == 2
    assert "other settings" in capsys.readouterr().err


@pytest.mark.slow
def test_seed_instrument_power_curve(tmp_path, capsys):
    png = tmp_path / "curve.png"
    assert main(["power", str(seed_instrument_path("platform_dilemma")), "--n", "200:300:100", "--reps", "3",
                 "--communities", "10", "--targets", "AU~RD", "--workers", "2", "--resume", str(tmp_path / "r.parquet"),
                 "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "AU~RD" in out and png.stat().st_size > 10_000
