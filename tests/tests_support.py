"""Shared fixtures: the README's example instrument, and a way to write variants of it."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
INSTRUMENTS = REPO / "instruments"


def readme_example_text() -> str:
    """The last YAML block of instruments/README.md: the complete example."""
    text = (INSTRUMENTS / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```yaml\n(.*?)```", text, re.S)[-1]


@pytest.fixture
def example() -> dict:
    """The README example as a dict, to be changed by a test."""
    return copy.deepcopy(yaml.safe_load(readme_example_text()))


@pytest.fixture
def write(tmp_path):
    """write(data_or_text, name="inst.yaml") -> path, with the shared blocks beside it."""
    shutil.copytree(INSTRUMENTS / "blocks", tmp_path / "blocks")

    def _write(data, name: str = "inst.yaml", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        path.write_bytes(text.encode(encoding))
        return path

    return _write
