"""validate(): planted weak items flagged and no others, criteria, the main sample, version warnings."""

from __future__ import annotations

import warnings

import pytest

from govstats import check_responses, load_instrument, simulate
from govstats.data.pilot import WEAK_KINDS, default_weak_items, simulate_pilot
from govstats.errors import VersionMismatchWarning
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path
from govstats.validation import Criteria, validate


@pytest.fixture(scope="module")
def grid():
    return load_instrument(seed_instrument_path("grid_governance"))


@pytest.fixture(scope="module")
def grid_pilot(grid):
    return simulate_pilot(grid, 300, seed=1)


@pytest.fixture(scope="module")
def grid_result(grid, grid_pilot):
    return validate(grid, grid_pilot.responses)


@pytest.mark.parametrize("name", [n if n == "grid_governance" else pytest.param(n, marks=pytest.mark.slow)
                                  for n in SEED_INSTRUMENTS])
def test_planted_weak_items_are_the_ones_flagged_at_n300(name):
    # Over seeds 1-20, the exact planted set was flagged in 20/20 pilots of party_building,
    # platform_dilemma, ri_asset and ri_element, and 19/20 of grid_governance (one pilot kept
    # the low-loading VS4 with 2 criteria unmet); no item that was not planted was ever flagged.
    inst = load_instrument(seed_instrument_path(name))
    pilot = simulate_pilot(inst, 300, seed=1)
    assert sorted(pilot.planted.values()) == sorted(WEAK_KINDS)
    res = validate(inst, pilot.responses)
    flagged = dict(zip(res.suggestions["item"], res.suggestions["action"]))
    assert set(flagged) == set(pilot.planted)
    expected = {"low_loading": "drop", "misread_reverse": "review wording", "ceiling": "review wording"}
    assert flagged == {item: expected[kind] for item, kind in pilot.planted.items()}


def test_reasons_name_the_weakness(grid_result):
    why = grid_result.items.set_index("item")["reason"]
    assert "missed the negation" in why["ID5"]
    assert "highest point" in why["IS1"] and "73%" in why["IS1"]
    assert why["VS4"].startswith("3 of 5 criteria unmet") and "corrected item-total r .20" in why["VS4"]


def test_item_table_has_every_statistic_and_criterion(grid_result):
    cols = set(grid_result.items.columns)
    assert {"cr_t", "cr_p", "welch_t", "welch_p", "citc", "alpha_if_deleted", "mean", "sd", "skew", "kurtosis",
            "floor", "ceiling", "share_blank", "efa_loading", "efa_cross", "ok_cr", "ok_citc", "ok_alpha_drop",
            "ok_loading", "ok_cross", "unmet", "action", "reason"} <= cols
    assert set(grid_result.items["action"]) <= {"keep", "review wording", "drop"}
    # each construct is matched to its own factor
    assert grid_result.constructs["efa_factor"].is_unique
    text = grid_result.text()
    assert "Table. Item analysis" in text and "nothing is changed in the instrument" in text
    html = grid_result.html()
    assert html.startswith("<!DOCTYPE html>") and "VS4" in html


def test_nothing_flagged_without_planted_items(grid):
    res = validate(grid, simulate_pilot(grid, 300, seed=1, weak={}).responses)
    assert res.suggestions.empty


def test_stricter_citc_and_welch_test_are_used(grid, grid_pilot, grid_result):
    strict = validate(grid, grid_pilot.responses, criteria=Criteria(citc_min=0.40, cr_test="welch"))
    assert (strict.items["ok_citc"] == (strict.items["citc"] >= 0.40)).all()
    assert (strict.items["unmet"] >= grid_result.items["unmet"]).all()
    assert "Welch's t" in strict.text()


@pytest.mark.parametrize("kwargs, name", [({"citc_min": 1.5}, "citc_min"), ({"cr_test": "z"}, "cr_test"),
                                          ({"drop_unmet": 0}, "drop_unmet"), ({"extreme_max": "a"}, "extreme_max")])
def test_bad_criteria_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        Criteria(**kwargs)


def test_bad_arguments(grid, grid_pilot):
    with pytest.raises(ValueError, match="'instrument' parameter of validate"):
        validate("grid.yaml", grid_pilot.responses)
    with pytest.raises(ValueError, match="'criteria' parameter"):
        validate(grid, grid_pilot.responses, criteria={"citc_min": 0.3})
    with pytest.raises(ValueError, match="'weak' parameter"):
        simulate_pilot(grid, 50, seed=1, weak={"XX1": "ceiling"})
    with pytest.raises(ValueError, match="'weak' parameter"):
        simulate_pilot(grid, 50, seed=1, weak={"VS1": "sloppy"})
    with pytest.raises(ValueError, match="not reverse-keyed"):
        simulate_pilot(grid, 50, seed=1, weak={"VS1": "misread_reverse"})


def test_default_weak_items_are_in_three_constructs(grid):
    weak = default_weak_items(grid)
    assert len({grid.item(i).construct for i in weak}) == 3


def test_main_sample_cfa_reliability_and_record(grid, grid_pilot):
    main = simulate(grid, 500, seed=2).responses
    res = validate(grid, grid_pilot.responses, main=main)
    assert res.n_main == 500 and set(res.fit_measures) >= {"chisq", "df", "cfi", "tli", "rmsea", "srmr"}
    assert res.items["cfa_loading"].notna().all()
    assert {"main_alpha", "main_cr", "main_ave"} <= set(res.constructs.columns)
    entry = res.record(main_where="6 districts", pilot_when="2026-11")
    assert entry["main"]["n"] == 500 and entry["main"]["where"] == "6 districts"
    assert set(entry["main"]["cr"]) == {c.id for c in grid.constructs}
    assert entry["pilot"]["when"] == "2026-11" and entry["items"] == [i.id for i in grid.items]
    assert "Main sample CFA" in res.text()


def test_data_of_an_earlier_version_warn(tmp_path, grid):
    from dataclasses import replace

    from govstats.instrument.validation_section import SampleEvidence, ValidationRecord

    c = grid.constructs[0]
    record = ValidationRecord(version="1.0.0", pilot=SampleEvidence(n=300), items=tuple(i.id for i in grid.items))
    revised = replace(grid, version="1.1.0", validation=(record,),
                      constructs=(replace(c, items=c.items[:-1]),) + grid.constructs[1:])
    pilot = simulate_pilot(grid, 300, seed=3).responses
    with pytest.warns(VersionMismatchWarning, match=r"\['VS4'\].*version 1.0.0"):
        res = validate(revised, pilot)
    assert "VS4" not in set(res.items["item"])
    with pytest.warns(VersionMismatchWarning, match=r"The responses checked have columns \['VS4'\]"):
        check_responses(revised, pilot)
    with warnings.catch_warnings():
        warnings.simplefilter("error", VersionMismatchWarning)
        validate(revised, pilot.drop(columns=["VS4"]))


def test_an_item_worded_against_its_construct_without_reverse_key(grid):
    from dataclasses import replace

    # QE5 is reverse-keyed in the instrument; analysed as if it were not, it runs against QE
    c = grid.construct("QE")
    items = tuple(replace(i, reverse=False) if i.id == "QE5" else i for i in c.items)
    unkeyed = replace(grid, constructs=tuple(replace(k, items=items) if k.id == "QE" else k for k in grid.constructs))
    res = validate(unkeyed, simulate(grid, 300, seed=4).responses)
    row = res.items.set_index("item").loc["QE5"]
    assert row["action"] == "review wording" and "reverse: true" in row["reason"]
