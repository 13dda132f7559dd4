"""Running recipes: every result written, a rerun writes the same bytes, the script the same numbers."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from govstats.cli import main
from govstats.recipes import analyze, recipe_script, verify_results, write_svg
from govstats.recipes.verify import first_difference
from govstats.recipes.write import fix_zip_dates

REPO = Path(__file__).resolve().parents[2]
SEED_RECIPES = sorted((REPO / "recipes").glob("*.yaml"))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A quick recipe (validity only) run once: (recipe path, results folder)."""
    folder = tmp_path_factory.mktemp("small")
    recipe = folder / "recipe.yaml"
    recipe.write_text(f"instrument: {(REPO / 'instruments' / 'grid_governance.yaml').as_posix()}\n"
                      f"data: {(REPO / 'data' / 'synthetic' / 'grid_governance.csv').as_posix()}\n"
                      "exclude: [speeder]\nanalyses: [validity]\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analyze(recipe, folder / "results")
    return recipe, folder / "results"


def test_manifest_lists_every_result_and_no_time(small):
    _, out = small
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    written = {p.name for p in out.iterdir()} - {"manifest.json", "provenance.json"}
    assert set(manifest["files"]) == written
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    data = REPO / "data" / "synthetic" / "grid_governance.csv"
    assert manifest["data"] == [{"file": os.path.relpath(data, out.parent).replace(os.sep, "/"),
                                 "sha256": hashlib.sha256(data.read_bytes()).hexdigest()}]
    assert "seconds" not in json.dumps(manifest)
    provenance = json.loads((out / "provenance.json").read_text("utf-8"))
    assert provenance["seconds"]["total"] > 0 and provenance["dependencies"]["numpy"]
    assert provenance["python"] == sys.version.split()[0]


def test_rerun_is_byte_identical_and_verify_names_the_first_differing_value(small, tmp_path):
    recipe, out = small
    copy = tmp_path / "results"
    shutil.copytree(out, copy)
    assert verify_results(copy, recipe=recipe) == []
    table = copy / "validity_htmt.csv"
    lines = table.read_text("utf-8").splitlines()
    cells = lines[2].split(",")
    cells[3] = "0.5"
    lines[2] = ",".join(cells)
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = json.loads((copy / "validity.json").read_text("utf-8"))
    construct = sorted(doc["ave"])[0]
    doc["ave"][construct] = 0.25
    (copy / "validity.json").write_text(json.dumps(doc), encoding="utf-8")
    (copy / "scores.csv").unlink()
    found = {d.file: d for d in verify_results(copy)}  # the recipe named by provenance.json
    assert set(found) == {"validity_htmt.csv", "validity.json", "scores.csv"}
    header = lines[0].split(",")
    assert found["validity_htmt.csv"].where == f"row 3 ({cells[0]}), column {header[3]}"
    assert found["validity_htmt.csv"].was == "0.5"
    assert found["validity.json"].where == f"ave.{construct}" and found["validity.json"].was == "0.25"
    assert found["scores.csv"].was == "missing"


def test_verify_on_the_command_line(small, tmp_path, capsys):
    recipe, out = small
    copy = tmp_path / "results"
    shutil.copytree(out, copy)
    assert main(["analyze", "--verify", str(copy)]) == 0
    assert "verified" in capsys.readouterr().out
    (copy / "exclusions.csv").write_text("row,respondent_id,reasons\n", encoding="utf-8")
    assert main(["analyze", "--verify", str(copy)]) == 1
    assert "exclusions.csv: rows: was 1, rerun gives" in capsys.readouterr().err


def test_changed_data_is_named(small, tmp_path):
    recipe, out = small
    data = tmp_path / "grid.csv"
    text = (REPO / "data" / "synthetic" / "grid_governance.csv").read_text("utf-8").splitlines()
    data.write_text("\n".join(text[:301]) + "\n", encoding="utf-8")  # 300 respondents
    moved = tmp_path / "recipe.yaml"
    moved.write_text(recipe.read_text("utf-8").replace(
        (REPO / "data" / "synthetic" / "grid_governance.csv").as_posix(), data.as_posix()), encoding="utf-8")
    copy = tmp_path / "results"
    shutil.copytree(out, copy)
    found = {d.file: d for d in verify_results(copy, recipe=moved)}
    assert {"recipe", "data", "scores.csv"} <= set(found)


def test_first_difference_of_text_and_binary(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    a.write_text("<svg>\n<g id='x1'/>\n</svg>\n", encoding="utf-8")
    b.write_text("<svg>\n<g id='y1'/>\n</svg>\n", encoding="utf-8")
    d = first_difference("fig.svg", a, b)
    assert d.where == "line 2, character 8" and d.was.startswith('"x1') and d.now.startswith('"y1')
    a.write_bytes(b"\xff\x00\x01")
    b.write_bytes(b"\xff\x00\x02\x03")
    assert first_difference("report.docx", a, b).where == "byte 2"


def test_figures_and_word_files_are_written_the_same_twice(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    ax.set_title("community")
    write_svg(fig, tmp_path / "a.svg")
    write_svg(fig, tmp_path / "b.svg")
    plt.close(fig)
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert b"<dc:date>" not in (tmp_path / "a.svg").read_bytes()
    import zipfile

    for name in ("a.docx", "b.docx"):
        with zipfile.ZipFile(tmp_path / name, "w") as z:
            z.writestr("word/document.xml", "<w:document/>")  # stamped with the current time
        fix_zip_dates(tmp_path / name)
    assert (tmp_path / "a.docx").read_bytes() == (tmp_path / "b.docx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.docx") as z:
        assert z.read("word/document.xml") == b"<w:document/>"


def test_script_quotes_recipe_values_as_literals(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"title: 'x\"\"\"; import os'\n"
                      f"instrument: {(REPO / 'instruments' / 'grid_governance.yaml').as_posix()}\n"
                      f"data: {(REPO / 'data' / 'synthetic' / 'grid_governance.csv').as_posix()}\n"
                      "analyses: {invariance: {group: \"district'); import os; ('\"}}\n", encoding="utf-8")
    text = recipe_script(recipe, tmp_path / "analysis.py")
    compile(text, "analysis.py", "exec")  # still valid Python: the values are string literals
    assert "group=\"district'); import os; ('\"" in text


@pytest.mark.slow
@pytest.mark.parametrize("path", SEED_RECIPES, ids=lambda p: p.stem)
def test_seed_recipe_reruns_byte_identical_and_its_script_gives_the_same_numbers(path, tmp_path):
    out = tmp_path / "results"
    assert main(["analyze", str(path), "-o", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert len(manifest["files"]) >= 8
    assert verify_results(out) == []  # a second run, compared byte for byte
    script = tmp_path / "analysis.py"
    assert main(["analyze", str(path), "--to-script", str(script)]) == 0
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "script_out")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    written = sorted(p.name for p in (tmp_path / "script_out").iterdir())
    assert written == sorted(manifest["files"])
    for name in written:
        assert (tmp_path / "script_out" / name).read_bytes() == (out / name).read_bytes(), name


@pytest.mark.slow  # two runs and a script in a subprocess: ~10 s
def test_two_data_files_are_stacked_and_the_script_agrees(tmp_path):
    lines = (REPO / "data" / "synthetic" / "grid_governance.csv").read_text("utf-8").splitlines()
    (tmp_path / "wave1.csv").write_text("\n".join(lines[:301]) + "\n", encoding="utf-8")
    (tmp_path / "wave2.csv").write_text("\n".join(lines[:1] + lines[301:]) + "\n", encoding="utf-8")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"instrument: {(REPO / 'instruments' / 'grid_governance.yaml').as_posix()}\n"
                      "data: {files: [wave1.csv, wave2.csv]}\nexclude: [speeder]\nanalyses: [validity]\n",
                      encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = analyze(recipe, tmp_path / "results")
    manifest = json.loads((tmp_path / "results" / "manifest.json").read_text("utf-8"))
    assert [d["file"] for d in manifest["data"]] == ["wave1.csv", "wave2.csv"]
    assert manifest["respondents"]["read"] == 600
    script = tmp_path / "analysis.py"
    script.write_text(recipe_script(recipe, script), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "script_out")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for name in run.files:
        assert (tmp_path / "script_out" / name).read_bytes() == (tmp_path / "results" / name).read_bytes(), name
    one = analyze_single(tmp_path)
    assert (tmp_path / "results" / "scores.csv").read_bytes() == one


def analyze_single(tmp_path):
    """scores.csv of the same 600 respondents read from one file: stacking numbers rows as one file."""
    recipe = tmp_path / "single.yaml"
    recipe.write_text(f"instrument: {(REPO / 'instruments' / 'grid_governance.yaml').as_posix()}\n"
                      f"data: {(REPO / 'data' / 'synthetic' / 'grid_governance.csv').as_posix()}\n"
                      "exclude: [speeder]\nanalyses: [validity]\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analyze(recipe, tmp_path / "single")
    return (tmp_path / "single" / "scores.csv").read_bytes()
