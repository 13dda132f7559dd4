"""The committed synthetic datasets regenerate byte for byte from their script and seeds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd

from govstats import load_instrument
from govstats.resources import seed_instrument_path

SYNTHETIC = Path(__file__).resolve().parents[2] / "data" / "synthetic"


def load_script():
    spec = importlib.util.spec_from_file_location("regenerate", SYNTHETIC / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regeneration_is_byte_identical(tmp_path):
    written = load_script().regenerate(tmp_path)
    assert len(written) == 12
    for path in written:
        assert path.read_bytes() == (SYNTHETIC / path.name).read_bytes(), path.name


def test_datasets_have_the_planned_design():
    script = load_script()
    for stem, name, seed, options in script.datasets():
        df = pd.read_csv(SYNTHETIC / f"{stem}.csv", encoding="utf-8")
        truth = json.loads((SYNTHETIC / f"{stem}.truth.json").read_text(encoding="utf-8"))
        assert len(df) == 600 and df["community_id"].nunique() == 30 and df["district"].nunique() == 3
        assert truth["settings"]["seed"] == seed and truth["settings"]["instrument"] == name
        flagged = truth["flagged_rows"]
        if options:
            kinds = {r["careless"] for r in flagged}
            assert {"straight", "random", "attention"} <= kinds
            assert any(r["speeder"] for r in flagged) and df.isna().any().any()
        else:
            assert flagged == []
            items = [i.id for i in load_instrument(seed_instrument_path(name)).items]
            assert not df[items].isna().any().any()


def test_messy_dataset_is_its_clean_twin_plus_the_damage():
    clean = pd.read_csv(SYNTHETIC / "ri_asset.csv")
    messy = pd.read_csv(SYNTHETIC / "ri_asset_messy.csv")
    truth = json.loads((SYNTHETIC / "ri_asset_messy.truth.json").read_text(encoding="utf-8"))
    touched = {r["respondent_id"] for r in truth["flagged_rows"]}
    keep = ~clean["respondent_id"].isin(touched)
    pd.testing.assert_frame_equal(clean[keep], messy[keep], check_dtype=False)  # blanks make floats
