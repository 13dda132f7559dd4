"""The seed instruments cite their studies by bibliographic data, not by a file outside the package."""

import re

import pytest

from govstats import load_instrument
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path


@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_provenance_cites_the_study(name):
    p = load_instrument(seed_instrument_path(name)).provenance
    assert "shared/research" not in p.citation and not re.search(r"\.txt\b", p.citation)
    assert p.source is None or p.source.startswith("https://")
    # a year or a record number that finds the study, and the kind of publication
    assert re.search(r"\b20\d\d\b|GTID \d{16}", p.citation)
    assert re.search(r"thesis|学报|Journal", p.citation)
