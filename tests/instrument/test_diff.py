"""instrument diff: every kind of change between two versions, and the readable table."""

from __future__ import annotations

import copy

from govstats import load_instrument
from govstats.instrument.diff import diff_instruments, diff_text


def changes(old, new) -> set[tuple[str, str]]:
    return {(r.change, r.item or r.new or r.old) for r in diff_instruments(old, new).itertuples()}


def test_identical_versions_have_no_changes(write, example):
    a = load_instrument(write(example, "a.yaml"))
    assert diff_instruments(a, a).empty
    assert "no changes" in diff_text(a, a)


def test_every_kind_of_change(write, example):
    new = copy.deepcopy(example)
    new["version"] = "2.0.0"
    ps, ci, pa = new["constructs"]
    dropped = ps["items"].pop(2)                               # PS3 dropped, PS9 added
    ps["items"].append({"id": "PS9", "text": {"zh": "替代题。", "en": "A replacement."}})
    ci["items"][0]["text"]["zh"] = "改过的措辞。"                 # CI1 reworded in Chinese only
    ci["items"][1]["text"]["en"] = "A new English wording."   # CI2 reworded in English only
    moved = pa["items"].pop(3)                                # PA4 moved to CI
    ci["items"].append(moved)
    pa["items"].append({"id": "PA5", "text": {"zh": "新题。", "en": "A new item."}})
    pa["items"][0]["reverse"] = not pa["items"][0].get("reverse", False)
    pa["items"][1]["scale"] = "agree7"
    new["model"]["paths"]["PA"].pop("PS")                      # path PA ~ PS dropped
    new["model"]["paths"]["PA"]["CI"] = 0.5                    # a population value: not a change
    old_i, new_i = load_instrument(write(example, "a.yaml")), load_instrument(write(new, "b.yaml"))
    got = changes(old_i, new_i)
    assert got == {("version", "2.0.0"), ("item dropped", dropped["id"]), ("reworded (zh)", "CI1"),
                   ("reworded (en)", "CI2"), ("moved", "PA4"), ("item added", "PA5"), ("item added", "PS9"),
                   ("reverse keying", pa["items"][0]["id"]), ("scale changed", pa["items"][1]["id"]),
                   ("path dropped", "PA ~ PS"),
                   ("scale changed", "PA4")}  # PA4 takes the scale of its new construct
    table = diff_instruments(old_i, new_i).set_index(["change", "item"])
    assert table.loc[("reworded (zh)", "CI1"), "new"] == "改过的措辞。"
    assert table.loc[("moved", "PA4"), "old"] == "PA"
    text = diff_text(old_i, new_i)
    assert "改过的措辞。" in text and "PA4" in text and "item dropped: 1" in text
