"""The public measurement functions beyond the R numbers: arguments, reversal, data problems, CLI, tables."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import govstats
from govstats import load_instrument
from govstats.cli import main
from govstats.measurement import efa, harman, reliability, validity
from govstats.resources import seed_instrument_path

ROOT = Path(__file__).resolve().parents[2]
GRID = ROOT / "data/synthetic/grid_governance.csv"
REF = json.loads((ROOT / "tests/reference/measurement/grid_governance.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def grid():
    return load_instrument(seed_instrument_path("grid_governance")), pd.read_csv(GRID)


def test_public_api_exports():
    assert govstats.reliability is reliability and govstats.efa is efa
    assert govstats.validity is validity and govstats.harman is harman


def test_syntax_with_reverse_equals_instrument(grid):
    inst, df = grid
    syntax = "\n".join(f"{c.id} =~ {' + '.join(c.item_ids)}" for c in inst.constructs)
    by_syntax = reliability(syntax, df, reverse=["ID5", "QE5"])
    by_inst = reliability(inst, df)
    pd.testing.assert_frame_equal(by_syntax.table, by_inst.table, atol=1e-9)
    assert set(by_inst.items.loc[by_inst.items.reversed, "item"]) == {"ID5", "QE5"}


def test_unreversed_item_lowers_alpha(grid):
    inst, df = grid
    items = {c.id: list(c.item_ids) for c in inst.constructs}
    raw = reliability(items, df).table
    assert raw.loc["ID", "alpha"] < REF["reliability"]["ID"]["alpha"] - 0.05
    assert raw.loc["VS", "alpha"] == pytest.approx(REF["reliability"]["VS"]["alpha"], abs=1e-9)


def test_blank_and_text_cells_are_left_out_and_counted(grid):
    inst, df = grid
    messy = df.astype({"VS1": object}).copy()
    messy.loc[0, "VS1"] = None
    messy.loc[1, "VS1"] = "n/a"
    res = reliability(inst, messy)
    assert res.n_dropped == 2 and res.nobs == len(df) - 2
    assert df.loc[1, "VS1"] != "n/a"  # the input frame is not changed
    assert messy.loc[1, "VS1"] == "n/a"


@pytest.mark.parametrize("call,message", [
    (lambda d: efa(d, method="pa"), "The 'method' parameter of efa must be one of"),
    (lambda d: efa(d, rotation="quartimax"), "The 'rotation' parameter of efa must be one of"),
    (lambda d: efa(d, cor="spearman"), "The 'cor' parameter of efa must be one of"),
    (lambda d: efa(d, n_factors=0), "The 'n_factors' parameter of efa must be one of"),
    (lambda d: efa(d, items=["nope"]), "The 'items' parameter of efa must name columns"),
    (lambda d: reliability(42, d), "The 'model' parameter of reliability must be one of"),
    (lambda d: reliability("F =~ nope1 + nope2 + nope3", d), "The 'data' parameter of reliability"),
    (lambda d: reliability({"VS": ["VS1", "VS2", "VS3"]}, d, level=95), "The 'level' parameter of reliability"),
    (lambda d: validity({"VS": ["VS1", "VS2", "VS3"]}, d, reverse=["x"]), "The 'reverse' parameter of validity"),
    (lambda d: harman(d, threshold=50), "The 'threshold' parameter of harman"),
])
def test_bad_arguments_name_the_parameter(grid, call, message):
    with pytest.raises(ValueError, match=message):
        call(grid[1])


def test_constant_item_is_reported_not_raised(grid):
    inst, df = grid
    items = [i for c in inst.constructs for i in c.item_ids] + ["AC1"]
    res = efa(df.assign(AC1=3), n_factors=7, items=items)
    assert res.problems == ["AC1: left out, it has fewer than two distinct answers"]
    assert "AC1" not in res.loadings.index and res.loadings.shape == (30, 7)


def test_tables_in_text_and_html(grid):
    inst, df = grid
    rel = reliability(inst, df)
    text = rel.text()
    alpha_vs = f"{REF['reliability']['VS']['alpha']:.3f}".lstrip("0")
    assert "Table. Reliability and convergent validity" in text and alpha_vs in text
    assert "Fornell-Larcker" in text and "HTMT" in text
    assert "<table>" in rel._repr_html_()
    e = efa(df, n_factors=7, items=[i for c in inst.constructs for i in c.item_ids])
    assert "KMO = " + f"{REF['efa']['kmo']:.3f}" in e.text()
    assert e.variance.loc["Cumulative Var"].iloc[-1] == pytest.approx(
        REF["efa"]["minres_oblimin"]["vaccounted"]["values"][2][-1], abs=1e-3)


def test_cli_reliability_json(tmp_path, capsys):
    out = tmp_path / "rel.json"
    code = main(["reliability", str(seed_instrument_path("grid_governance")), str(GRID), "--json", str(out)])
    assert code == 0
    assert "Reliability and convergent validity" in capsys.readouterr().out
    got = json.loads(out.read_text(encoding="utf-8"))
    for cid, r in REF["reliability"].items():
        for key in ("alpha", "omega", "cr", "ave"):
            assert got["constructs"][cid][key] == pytest.approx(r[key], abs=1e-3)
    ref = REF["validity"]["htmt"]
    for i, a in enumerate(ref["rows"]):
        for j, b in enumerate(ref["cols"]):
            assert got["htmt"][a][b] == pytest.approx(ref["values"][i][j], abs=1e-3)
    assert got["fornell_larcker"]["VS"]["VS"] == pytest.approx(np.sqrt(REF["reliability"]["VS"]["ave"]), abs=1e-3)


def test_cli_efa_json(tmp_path, capsys):
    out = tmp_path / "efa.json"
    code = main(["efa", str(seed_instrument_path("grid_governance")), str(GRID), "--n-factors", "7",
                 "--rotation", "oblimin", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Harman's single-factor test" in printed
    got = json.loads(out.read_text(encoding="utf-8"))
    assert got["kmo"] == pytest.approx(REF["efa"]["kmo"], abs=1e-3)
    assert got["parallel"]["n_factors"] == REF["efa"]["parallel"]["nfact"]
    ref = REF["efa"]["minres_oblimin"]["loadings"]
    ours = np.array([[got["loadings"][i][f"MR{k + 1}"] for k in range(7)] for i in ref["rows"]])
    np.testing.assert_allclose(ours, ref["values"], atol=1e-3)
    assert got["harman"]["first_component_share"] == pytest.approx(REF["efa"]["harman"]["first_pc_share"], abs=1e-3)


def test_cli_bad_option_exits_2(capsys):
    code = main(["efa", str(seed_instrument_path("grid_governance")), str(GRID), "--n-factors", "99"])
    assert code == 2
    # the command line names its option, not efa's Python parameter (govstats/cli_messages.py)
    assert "The option --n-factors must be one of" in capsys.readouterr().err


def test_single_item_construct_is_skipped_not_fatal(grid):
    inst, df = grid
    model = {"VS": ["VS1", "VS2", "VS3", "VS4"], "IS": ["IS1", "IS2", "IS3", "IS4"], "ONE": ["QE1"]}
    res = reliability(model, df)
    assert res.skipped == ("ONE",) and list(res.table.index) == ["VS", "IS"]
    assert res.table.loc["VS", "alpha"] == pytest.approx(REF["reliability"]["VS"]["alpha"], abs=1e-9)
    with pytest.raises(ValueError, match="at least two items"):
        reliability({"ONE": ["QE1"]}, df)


@pytest.mark.slow  # the whole demo (one run shared by the demo tests)
def test_demo_prints_reliability_and_validity(demo_run):
    out = demo_run[0]
    step = out[out.index("Step 5b. Reliability and validity"):out.index("Step 6.")]
    assert "Table. Reliability and convergent validity" in step
    assert "Fornell-Larcker" in step and "Heterotrait-monotrait ratio (HTMT)" in step
    assert step.count("[.") == 10  # sqrt(AVE) of the ten ri_asset constructs on the diagonal
