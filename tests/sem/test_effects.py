"""results.effects(): every specific indirect effect, total indirect, total, ratio; their SEs and intervals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.resources import instruments_dir

REPO = Path(__file__).resolve().parents[2]
REF = json.loads((REPO / "tests/reference/sem/bootstrap/poldem_mediation.json").read_text())
POLDEM = pd.read_csv(REPO / REF["data"])
PLATFORM = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
CHAIN = """
DZ =~ DZ1 + DZ2 + DZ3 + DZ4
GP =~ GP1 + GP2 + GP3 + GP4
RD =~ RD1 + RD2 + RD3 + RD4
AU =~ AU1 + AU2 + AU3 + AU4
EB =~ EB1 + EB2 + EB3 + EB4 + EB5
RD ~ GP + DZ
AU ~ GP + RD
EB ~ AU
"""


def test_mediation_effects_are_lavaans_defined_parameters():
    # lavaan: ab := a*b and total := c + a*b, with delta-method SEs (fixture "standard"), and the
    # standardized ab (std.all) that semTools' monteCarloCI(standardized = TRUE) reports
    res = fit(REF["model"], POLDEM)
    eff = res.effects()
    pair = eff[(eff.predictor == "ind60") & (eff.outcome == "dem65")].set_index("effect")
    ref = pd.DataFrame(REF["standard"]).set_index("label")
    assert pair.loc["indirect", "path"] == "ind60 -> dem60 -> dem65"
    for effect, label in (("indirect", "ab"), ("total indirect", "ab"), ("total", "total"), ("direct", "c")):
        assert pair.loc[effect, "est"] == pytest.approx(ref.loc[label, "est"], rel=1e-5)
        assert pair.loc[effect, "se"] == pytest.approx(ref.loc[label, "se"], rel=1e-4)
    assert pair.loc["indirect", "std_all"] == pytest.approx(REF["monte_carlo_std"]["est"][0], rel=1e-5)
    assert pair.loc["ratio", "est"] == pytest.approx(ref.loc["ab", "est"] / ref.loc["total", "est"], rel=1e-5)
    # the other pairs joined by a chain: none (dem60 -> dem65 is direct only)
    assert set(zip(eff.predictor, eff.outcome)) == {("ind60", "dem65")}


def test_longer_chains_and_totals_match_the_reduced_form():
    res = fit(CHAIN, PLATFORM)
    eff = res.effects()
    reg = res.params[res.params.op == "~"].set_index(["lhs", "rhs"]).est
    names = ["DZ", "GP", "RD", "AU", "EB"]
    B = np.zeros((5, 5))
    for (y, x), b in reg.items():
        B[names.index(y), names.index(x)] = b
    total = np.linalg.inv(np.eye(5) - B) - np.eye(5)
    for (x, y), rows in eff.groupby(["predictor", "outcome"]):
        rows = rows.set_index("effect")
        assert rows.loc["total", "est"] == pytest.approx(total[names.index(y), names.index(x)], rel=1e-10)
        specific = rows.loc[["indirect"], "est"].sum()
        assert rows.loc["total indirect", "est"] == pytest.approx(specific, rel=1e-12)
    paths = eff[(eff.predictor == "GP") & (eff.outcome == "EB") & (eff.effect == "indirect")].path.tolist()
    assert paths == ["GP -> AU -> EB", "GP -> RD -> AU -> EB"]
    gp_rd_au = eff[eff.path == "GP -> RD -> AU -> EB"].iloc[0]
    assert gp_rd_au.est == pytest.approx(reg[("RD", "GP")] * reg[("AU", "RD")] * reg[("EB", "AU")], rel=1e-12)
    std = res.params[res.params.op == "~"].set_index(["lhs", "rhs"]).std_all
    assert gp_rd_au.std_all == pytest.approx(std[("RD", "GP")] * std[("AU", "RD")] * std[("EB", "AU")], rel=1e-10)
    # Wald intervals around the delta-method SEs without draws
    assert np.allclose(eff.ci_upper - eff.est, 1.959963984540054 * eff.se)


def test_bootstrap_effects_use_the_fits_draws_and_interval_type():
    res = fit(REF["model"], POLDEM, bootstrap=60, seed=3, ci="bc", executor="serial")
    eff = res.effects().set_index("effect")
    ab = res.params[res.params.label == "ab"].iloc[0]
    assert eff.loc["indirect", "se"] == pytest.approx(ab.se, rel=1e-12)
    assert eff.loc["indirect", "ci_lower"] == pytest.approx(ab.ci_lower, rel=1e-12)
    assert eff.loc["indirect", "ci_upper"] == pytest.approx(ab.ci_upper, rel=1e-12)
    std = res.standardized[res.standardized.lhs == "ab"].iloc[0]
    assert eff.loc["indirect", "std_ci_lower"] == pytest.approx(std.ci_lower, rel=1e-12)


def test_monte_carlo_effects():
    res = fit(REF["model"], POLDEM, ci="monte_carlo", seed=4)
    eff = res.effects().set_index("effect")
    ab = res.params[res.params.label == "ab"].iloc[0]
    assert eff.loc["indirect", "ci_lower"] == pytest.approx(ab.ci_lower, rel=1e-12)  # the same draws


def test_groups_list_their_own_effects():
    res = fit("AU =~ AU1 + AU2 + AU3 + AU4\nRD =~ RD1 + RD2 + RD3 + RD4\nEB =~ EB1 + EB2 + EB3\n"
              "AU ~ RD\nEB ~ AU", PLATFORM, group="district")
    eff = res.effects()
    assert sorted(eff.group.unique()) == list(range(1, len(res.group_labels) + 1))
    assert (eff.groupby("group").size() == 3).all()  # indirect, total indirect, total (no direct path: no ratio)


def test_feedback_loops_are_refused():
    model = "AU =~ AU1 + AU2 + AU3 + AU4\nRD =~ RD1 + RD2 + RD3 + RD4\nGP =~ GP1 + GP2 + GP3\n" \
            "AU ~ RD\nGP ~ AU\nRD ~ GP"
    res = fit(model, PLATFORM)
    with pytest.raises(ValueError, match="feedback loop"):
        res.effects()


def test_a_model_without_chains_has_an_empty_table():
    eff = fit("AU =~ AU1 + AU2 + AU3 + AU4", PLATFORM).effects()
    assert eff.empty and "ci_lower" in eff.columns


def test_cli_effects_and_fit_with_draws(tmp_path, capsys):
    from govstats.cli import main

    model = REPO / "tests/reference/sem/bootstrap/poldem_mediation.lav"
    data = REPO / REF["data"]
    out = tmp_path / "effects.csv"
    assert main(["effects", str(model), str(data), "--bootstrap", "30", "--seed", "1", "--ci", "bc",
                 "--workers", "1", "--csv", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "bootstrap: 30 of 30 draws, bc intervals, seed 1" in printed
    assert "ind60 -> dem60 -> dem65" in printed
    table = pd.read_csv(out)
    api = fit(REF["model"], POLDEM, bootstrap=30, seed=1, ci="bc", executor="serial").effects()
    assert np.allclose(table.ci_lower, api.ci_lower) and np.allclose(table.se, api.se)
    assert main(["fit", str(model), str(data), "--bootstrap", "20", "--seed", "2", "--ci", "perc", "--workers", "1",
                 "--json", str(tmp_path / "fit.json")]) == 0
    assert "Number of successful bootstrap draws" in capsys.readouterr().out
    saved = json.loads((tmp_path / "fit.json").read_text(encoding="utf-8"))
    assert saved["options"]["se"] == "bootstrap" and saved["options"]["bootstrap"] == 20
    with pytest.raises(SystemExit):
        main(["effects", str(model), str(data), "--ci", "studentized"])


def test_cli_effects_of_a_seed_instrument(capsys):
    from govstats.cli import main

    inst = REPO / "instruments" / "platform_dilemma.yaml"
    data = REPO / "data" / "synthetic" / "platform_dilemma.csv"
    assert main(["effects", str(inst), str(data), "--bootstrap", "10", "--seed", "1", "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "GP -> RD -> AU" in printed and "perc intervals" in printed
    assert main(["effects", str(inst), str(data), "--bootstrap", "10", "--workers", "2",
                 "--scheduler", "tcp://x:1"]) != 0
    assert "not both" in capsys.readouterr().err


@pytest.mark.slow  # the whole demo (one run shared by the demo tests)
def test_demo_prints_the_instruments_indirect_effects_with_bc_intervals(demo_run_ml):
    out = demo_run_ml[0]
    step = out[out.index("Step 7."):]
    assert "bias-corrected intervals" in step and "bc intervals" in step
    assert "IC -> CD -> RIE" in step
