"""Where the seed instruments live, installed or in a source checkout.

A wheel carries ``instruments/`` inside the package as ``govstats/_instruments``; a
source checkout (tests run with ``python -m pytest`` from the repository) has them at
the repository root.
"""

from __future__ import annotations

from pathlib import Path

SEED_INSTRUMENTS = ("ri_asset", "ri_element", "party_building", "grid_governance", "platform_dilemma")
DEMO_INSTRUMENT = "ri_asset"


def instruments_dir() -> Path:
    """The folder that holds the seed instruments and their blocks."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_instruments", here.parent / "instruments"):
        if (candidate / "blocks").is_dir():
            return candidate
    raise FileNotFoundError(
        f"The seed instruments are missing: neither {here / '_instruments'} nor "
        f"{here.parent / 'instruments'} exists. Reinstall govstats (pip install govstats)."
    )


def seed_instrument_path(name: str) -> Path:
    """Path of a seed instrument's YAML file, e.g. ``seed_instrument_path("ri_asset")``."""
    if name not in SEED_INSTRUMENTS:
        raise ValueError(
            f"The 'name' parameter of seed_instrument_path must be one of {set(SEED_INSTRUMENTS)}. "
            f"Got {name!r} instead."
        )
    return instruments_dir() / f"{name}.yaml"
