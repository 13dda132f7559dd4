"""The notebooks: stored without outputs, as make_notebooks.py writes them; each executes without error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from govstats.cli import main
from govstats.notebook_html import execute_notebook, notebook_html

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
STUDIES = sorted(p.stem for p in (REPO / "instruments").glob("*.yaml"))


def test_a_tutorial_and_one_notebook_per_seed_study():
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(STUDIES + ["tutorial"])


def test_notebooks_are_stored_as_the_generator_writes_them():
    done = subprocess.run([sys.executable, str(FOLDER / "make_notebooks.py"), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert nb.metadata.kernelspec.name == "python3"
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids))
    text = "\n".join(c.source for c in nb.cells)
    assert "data/synthetic" in text or path.stem == "tutorial"  # studies read the committed data


def test_render_without_executing(tmp_path, capsys):
    assert main(["notebooks", "--html", str(tmp_path), "--no-execute", "--only", "tutorial,party_building"]) == 0
    pages = sorted(p.name for p in tmp_path.iterdir())
    assert pages == ["party_building.html", "tutorial.html"]
    assert "党建引领社区治理" in (tmp_path / "party_building.html").read_text("utf-8")
    assert main(["notebooks", "--html", str(tmp_path), "--no-execute", "--only", "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_and_renders(path, tmp_path):
    nb = execute_notebook(path)  # raises CellExecutionError, naming the cell, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html_outputs = [o for o in outputs if "text/html" in o.get("data", {})]
    assert html_outputs, "results are shown with their _repr_html_"
    page = notebook_html(nb)
    assert "<table" in page
    if any("image/png" in o.get("data", {}) for o in outputs):
        assert "data:image/png;base64" in page
