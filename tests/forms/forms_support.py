"""Helpers of the form tests: seed instruments, golden files, an instrument with missing codes."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from govstats import load_instrument
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[2]
SYNTHETIC = REPO / "data" / "synthetic"
DATASETS = {name: name.replace("_messy", "") for name in [*SEED_INSTRUMENTS, "ri_asset_messy"]}


@lru_cache(maxsize=None)
def seed(name: str):
    return load_instrument(seed_instrument_path(name))


def check_golden(name: str, text: str) -> None:
    """Compare with tests/forms/golden/<name>; GOVSTATS_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("GOVSTATS_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8", newline="\n")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{name} differs from the golden file; if the change is intended, rerun with "
        "GOVSTATS_UPDATE_GOLDEN=1 and review the diff"
    )


def with_missing_codes(example: dict) -> dict:
    """The README example with a 'don't know' code on PS's scale and one PS item on agree7.

    PS then needs two grids (agree5dk, agree7) and its items carry a missing code.
    """
    example["scales"] = {"agree5dk": {
        "type": "likert", "label": {"zh": "同意程度（含不清楚）", "en": "Agreement with don't know"},
        "points": [{"code": k, "zh": zh, "en": en} for k, zh, en in [
            (1, "非常不同意", "Strongly disagree"), (2, "比较不同意", "Disagree"), (3, "一般", "Neutral"),
            (4, "比较同意", "Agree"), (5, "非常同意", "Strongly agree")]],
        "missing": [{"code": 9, "zh": "不清楚", "en": "Don't know"}],
    }}
    ps = example["constructs"][0]
    ps["scale"] = "agree5dk"
    ps["items"][1]["scale"] = "agree7"
    example["attention_checks"][0]["scale"] = "agree5dk"
    return example
