"""The pilot -> revision -> main-study walkthrough (the demo's and the README's path)."""

from __future__ import annotations

import pytest

from govstats import load_instrument
from govstats.validation.walkthrough import pilot_to_main, remove_items


@pytest.mark.slow
def test_walkthrough_on_a_seed_instrument(tmp_path):
    lines = []
    out = pilot_to_main(tmp_path, "party_building", echo=lines.append)
    assert out["flagged"] == {"AU5": "review wording", "IN3": "drop", "RM1": "review wording"}
    final = load_instrument(out["instrument"])
    assert final.version == "1.2.0" and [r.version for r in final.validation] == ["1.0.0", "1.1.0"]
    assert {n.item for n in final.validation[1].dropped} == {"AU5", "IN3", "RM1"}
    assert final.validation[1].main.fit["cfi"] > 0.95
    assert load_instrument(out["first"]).version == "1.0.0"
    assert out["pilot_report"].exists() and out["main_report"].exists()
    assert any(line.startswith("5. Changes from party_building 1.0.0") for line in lines)


def test_remove_items_keeps_everything_else():
    text = "constructs:\n  - id: A\n    items:\n      # first\n      - id: A1\n        text: x\n\n      - id: A2\n" \
           "        text:\n          zh: y\n      - id: A3\n        text: z\n"
    assert remove_items(text, ["A2"]) == ("constructs:\n  - id: A\n    items:\n      # first\n      - id: A1\n"
                                         "        text: x\n\n      - id: A3\n        text: z\n")
    with pytest.raises(ValueError, match="'items' parameter of remove_items"):
        remove_items(text, ["B1"])
