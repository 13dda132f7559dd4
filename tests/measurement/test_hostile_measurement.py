"""Measurement analyses on hostile data and syntax: no library error reaches the user, and with an
instrument nothing it calls invalid is analysed (the command line says how many were left out)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from govstats import efa, harman, load_instrument, reliability, simulate, validity
from govstats.cli import main
from govstats.resources import seed_instrument_path


@pytest.fixture(scope="module")
def grid():
    return load_instrument(seed_instrument_path("grid_governance"))


@pytest.fixture(scope="module")
def items(grid):
    return [i.id for i in grid.items]


@pytest.fixture
def infinite(grid, items):
    x = simulate(grid, 300, seed=1).responses[items].astype(float)
    x.iloc[0, 0], x.iloc[1, 1] = np.inf, -np.inf
    return x


@pytest.mark.parametrize("cor", ["pearson", "polychoric"])
def test_efa_on_infinite_values_treats_them_as_blanks(infinite, items, cor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = efa(infinite, items=items, cor=cor, n_factors=7)
    assert np.isfinite(res.loadings.to_numpy()).all() and res.nobs == 300
    h = harman(infinite, items)
    assert 0 < h.first_factor_share < 1


def test_reliability_with_syntax_drops_rows_with_infinite_values(infinite):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = reliability("VS =~ VS1 + VS2 + VS3 + VS4\nIS =~ IS1 + IS2 + IS3 + IS4", infinite)
    assert rel.nobs == 298 and rel.n_dropped == 2


@pytest.mark.parametrize("syntax", ["", "# only a comment\n# and another", "VS ~ IS", "   \n\n"])
def test_syntax_without_a_measurement_line_is_a_value_error(infinite, syntax):
    with pytest.raises(ValueError, match="'model' parameter of reliability must define at least one construct"):
        reliability(syntax, infinite)


def test_validity_and_harman_with_an_instrument_leave_out_what_it_calls_invalid(grid, items):
    df = simulate(grid, 300, seed=2).responses.astype({i: "Float64" for i in items})
    df.loc[:9, "VS1"] = 6           # off agree5
    df.loc[10:14, "consent"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = validity(grid, df)
        h = harman(df, model=grid)
    assert v.nobs == 285 and v.exclusions["off_scale"] == 10 and v.exclusions["declined_consent"] == 5
    assert "285 of 300 respondents used" in v.text()
    assert h.nobs == 285


def _write_messy(grid, items, path):
    df = simulate(grid, 400, seed=3).responses.astype(object)
    df.loc[:60, "VS2"] = 99
    df.loc[61:97, "consent"] = 0
    df.to_csv(path, index=False)


@pytest.mark.parametrize("command", ["efa", "reliability", "fit"])
def test_the_command_line_says_how_many_were_left_out_and_why(tmp_path, capsys, grid, items, command):
    data = tmp_path / "messy.csv"
    _write_messy(grid, items, data)
    args = [command, str(grid.source), str(data)]
    if command != "fit":
        args += ["--json", str(tmp_path / "out.json")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main(args)
    out = capsys.readouterr().out
    assert "302 of 400 respondents used: 37 declined consent, 61 with off-scale codes left out" in out
    if command != "fit":
        saved = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
        assert saved["exclusions"]["off_scale"] == 61 and saved["exclusions"]["n_used"] == 302


def test_reliability_on_an_sav_with_user_missing_codes(tmp_path, capsys, grid, items):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = simulate(grid, 300, seed=4).responses
    out = pd.DataFrame({c: df[c].astype(float) for c in ["respondent_id", "consent"] + items})
    out.loc[:19, "QE1"] = -9.0                # declared user-missing: blank, listwise out
    path = tmp_path / "r.sav"
    pyreadstat.write_sav(out, str(path), missing_ranges={"QE1": [-9.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["reliability", str(grid.source), str(path), "--json", str(tmp_path / "r.json")]) == 0
    saved = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert saved["exclusions"]["declared_missing"] == 20 and saved["exclusions"]["off_scale"] == 0
    assert saved["nobs"] == 280 and saved["n_dropped"] == 20
    assert "20 answers with a declared missing code read as blank" in capsys.readouterr().out
