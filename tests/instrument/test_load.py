"""Round trip of a good instrument: load, model syntax, constructs, paths, population values."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.stats import norm

from govstats import Instrument, load_instrument


@pytest.fixture
def inst(write, example) -> Instrument:
    return load_instrument(write(example))


def test_readme_example_loads(inst):
    assert inst.id == "example_identity"
    assert inst.version == "0.1.0"
    assert [c.id for c in inst.constructs] == ["PS", "CI", "PA"]
    assert [c.role for c in inst.constructs] == ["factor", "mechanism", "outcome"]
    assert inst.construct("PS").item_ids == ("PS1", "PS2", "PS3")
    assert inst.item("PS3").reverse is True
    assert inst.title.zh.startswith("社区认同")


def test_model_syntax(inst):
    assert inst.model_syntax() == (
        "# example_identity 0.1.0: measurement model\n"
        "PS =~ PS1 + PS2 + PS3\n"
        "CI =~ CI1 + CI2 + CI3\n"
        "PA =~ PA1 + PA2 + PA3 + PA4\n"
        "# structural model\n"
        "CI ~ PS\n"
        "PA ~ CI + PS\n"
    )


def test_reverse_coded_item_is_never_the_marker(write, example):
    # A marker loading fixed to +1 on a reversed item would flip the factor's sign.
    items = example["constructs"][0]["items"]
    items.insert(0, items.pop(2))  # PS3 (reversed) first
    syntax = load_instrument(write(example)).model_syntax()
    assert "PS =~ PS1 + PS3 + PS2\n" in syntax


def test_paths_and_population_values(inst):
    paths = {(p.outcome, p.predictor): p.coefficient for p in inst.model.paths}
    assert paths == {("CI", "PS"): 0.50, ("PA", "CI"): 0.40, ("PA", "PS"): 0.20}
    assert inst.item("PS1").loading == 0.75
    assert inst.item("CI1").loading == 0.70  # the instrument's default
    assert inst.construct("PA").icc == 0.12 and inst.construct("PS").icc == 0.10


def test_implied_latent_correlations(inst):
    # CI = .5 PS + e  -> r(CI, PS) = .5; PA = .4 CI + .2 PS + e -> r(PA, PS) = .4*.5 + .2 = .4,
    # r(PA, CI) = .4 + .2*.5 = .5.
    r = inst.latent_correlations()
    assert r.loc["CI", "PS"] == pytest.approx(0.5, abs=1e-12)
    assert r.loc["PA", "PS"] == pytest.approx(0.4, abs=1e-12)
    assert r.loc["PA", "CI"] == pytest.approx(0.5, abs=1e-12)
    assert np.allclose(np.diag(r.to_numpy()), 1.0)


def test_thresholds_follow_declared_proportions(inst):
    # agree5 declares proportions .05 .12 .28 .37 .18 (blocks/scales.yaml).
    item = inst.item("PS1")
    expected = norm.ppf(np.cumsum([0.05, 0.12, 0.28, 0.37, 0.18])[:-1])
    assert np.allclose(item.thresholds, expected, atol=1e-12)
    assert sum(item.proportions) == pytest.approx(1.0)


def test_default_thresholds_for_scale_without_population(write, example):
    for item in example["constructs"][0]["items"]:
        item["scale"] = "agree7"  # declares no population values
    item = load_instrument(write(example)).item("PS1")
    assert np.allclose(item.thresholds, np.linspace(-1.5, 1.5, 6))


def test_item_population_overrides_scale(write, example):
    example["constructs"][0]["items"][0]["population"] = {"thresholds": [-1.0, -0.5, 0.5, 1.0]}
    item = load_instrument(write(example)).item("PS1")
    assert item.thresholds == (-1.0, -0.5, 0.5, 1.0)
    assert item.proportions[0] == pytest.approx(norm.cdf(-1.0))


def test_questions_in_form_order(inst):
    starts = [q.id for q in inst.questions if q.placement == "start"]
    ends = [q.id for q in inst.questions if q.placement == "end"]
    assert starts == ["community_id", "street", "district", "role", "party_member"]
    assert ends == ["volunteer_hours", "gender", "age", "education", "years_in_community", "hukou"]
    assert inst.columns()[:4] == ["respondent_id", "start_time", "end_time", "consent"]
    assert inst.columns().index("AC1") == inst.columns().index("PS3") + 1


def test_instrument_is_immutable(inst):
    with pytest.raises(dataclasses.FrozenInstanceError):
        inst.id = "other"
    with pytest.raises(TypeError):
        inst.scales["new"] = None


def test_language_argument_is_checked(inst):
    with pytest.raises(ValueError, match="'lang' parameter"):
        inst.title.get("fr")


def test_diamond_include_is_read_once(write, example):
    # Two blocks that both include the shared scales must not make 'agree5' a duplicate.
    write("block: one\ninclude: [scales.yaml]\n", name="blocks/one.yaml")
    write("block: two\ninclude: [scales.yaml]\n", name="blocks/two.yaml")
    example["include"] = ["blocks/scales.yaml", "blocks/respondent.yaml", "blocks/demographics.yaml",
                          "blocks/one.yaml", "blocks/two.yaml"]  # the local copies, as the blocks include them
    assert load_instrument(write(example)).scales["agree5"].codes == (1, 2, 3, 4, 5)
