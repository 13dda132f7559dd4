"""The instrument's validation: section is parsed, checked with located problems, and shown."""

from __future__ import annotations

import pytest

from govstats import load_instrument
from govstats.errors import InstrumentError

RECORD = {"version": "0.9.0", "date": "2026-11-30",
          "pilot": {"n": 250, "where": "Wuhan", "when": "2026-10", "alpha": {"F1": 0.8}, "kmo": 0.8, "factors": 2},
          "main": {"n": 600, "cr": {"F1": 0.82}, "ave": {"F1": 0.55}, "fit": {"cfi": 0.97, "rmsea": 0.04}},
          "items": ["OLD1"],
          "suggested": [{"item": "OLD1", "action": "drop", "reason": "CITC .12"}],
          "dropped": [{"item": "OLD1", "reason": "CITC .12"}]}


def codes(exc) -> list[tuple[str, str]]:
    return [(p.code, p.location) for p in exc.value.problems]


def test_a_record_loads_and_shows(write, example):
    example["validation"] = [RECORD]
    inst = load_instrument(write(example))
    rec = inst.validation[0]
    assert rec.version == "0.9.0" and rec.pilot.n == 250 and rec.main.fit["cfi"] == 0.97
    assert rec.dropped[0].item == "OLD1" and rec.suggested[0].action == "drop"
    shown = inst.summary()
    assert "Validation (1 record(s)" in shown and "main: N = 600" in shown and "dropped OLD1: CITC .12" in shown


def test_an_unquoted_date_is_read_as_text(write, example):
    text = write(example).read_text(encoding="utf-8") + (
        "validation:\n  - version: '0.9'\n    date: 2026-11-30\n    pilot: {n: 10}\n    items: []\n")
    assert load_instrument(write(text)).validation[0].date == "2026-11-30"


def test_without_records_show_says_draft(write, example):
    assert "none recorded" in load_instrument(write(example)).summary()


@pytest.mark.parametrize("change, expected", [
    (lambda r: r.pop("pilot"), ("missing-field", "validation[0].pilot")),
    (lambda r: r.update(colour="red"), ("unknown-field", "validation[0].colour")),
    (lambda r: r["pilot"].update(n=0), ("invalid-value", "validation[0].pilot.n")),
    (lambda r: r["pilot"].update(n="many"), ("wrong-type", "validation[0].pilot.n")),
    (lambda r: r["main"]["ave"].update(F1=1.4), ("invalid-value", "validation[0].main.ave.F1")),
    (lambda r: r["main"]["fit"].update(gfi=0.9), ("unknown-field", "validation[0].main.fit.gfi")),
    (lambda r: r["suggested"][0].update(action="delete"), ("invalid-value", "validation[0].suggested[0].action")),
    (lambda r: r["suggested"][0].update(item="NOPE"), ("unknown-reference", "validation[0].suggested[0].item")),
    (lambda r: r["dropped"][0].pop("reason"), ("missing-field", "validation[0].dropped[0].reason")),
])
def test_problems_are_located(write, example, change, expected):
    import copy

    record = copy.deepcopy(RECORD)
    change(record)
    example["validation"] = [record]
    with pytest.raises(InstrumentError) as exc:
        load_instrument(write(example))
    assert expected in codes(exc)


def test_dropped_item_still_present_in_this_version(write, example):
    import copy

    record = copy.deepcopy(RECORD)
    item = example["constructs"][0]["items"][0]["id"]
    record.update(version=str(example["version"]), items=[item], suggested=[],
                  dropped=[{"item": item, "reason": "x"}])
    example["validation"] = [record]
    with pytest.raises(InstrumentError) as exc:
        load_instrument(write(example))
    assert ("invalid-value", "validation[0].dropped[0].item") in codes(exc)


def test_validation_must_be_a_list(write, example):
    example["validation"] = {"version": "1"}
    with pytest.raises(InstrumentError) as exc:
        load_instrument(write(example))
    assert ("wrong-type", "validation") in codes(exc)
