"""Recipes are checked as instruments are: every problem at once, with line, place and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from govstats.cli import main
from govstats.errors import RecipeError
from govstats.recipes import load_recipe
from govstats.recipes.schema import ANALYSES

REPO = Path(__file__).resolve().parents[2]
SEED_RECIPES = sorted((REPO / "recipes").glob("*.yaml"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(textwrap.dedent(text).replace("{repo}", REPO.as_posix()), encoding="utf-8")
    return path


def test_one_recipe_per_seed_study():
    assert sorted(p.stem for p in SEED_RECIPES) == sorted(p.stem for p in (REPO / "instruments").glob("*.yaml"))


@pytest.mark.parametrize("path", SEED_RECIPES, ids=lambda p: p.stem)
def test_seed_recipes_load(path):
    recipe = load_recipe(path)
    assert recipe.instrument.is_file()
    assert recipe.analyses and set(recipe.analyses) <= set(ANALYSES)
    assert bool(recipe.simulate) != bool(recipe.data)


def test_defaults_are_filled_in_and_paths_resolved(tmp_path):
    recipe = load_recipe(write(tmp_path, """\
        instrument: {repo}/instruments/grid_governance.yaml
        data: {repo}/data/synthetic/grid_governance.csv
        analyses: [fit, effects]
        """))
    assert recipe.analyses["fit"]["missing"] == "listwise" and recipe.analyses["fit"]["estimator"] is None
    assert recipe.analyses["effects"]["bootstrap"] == 0
    assert recipe.data["files"] == [REPO / "data" / "synthetic" / "grid_governance.csv"]
    assert recipe.seed == 1 and recipe.seed_of("effects") == 1
    assert len(recipe.sha256) == 64


def test_every_problem_at_once_with_its_line_and_fix(tmp_path):
    path = write(tmp_path, """\
        instrument: {repo}/instruments/grid_governance.yaml
        data: {repo}/data/synthetic/grid_governance.csv
        exclude: [speeders]
        analyses:
          fit: {estimator: WLSMVV, bootstrp: 100}
          sem: {}
          effects: {bootstrap: -5}
          power: {n: [300, many]}
        """)
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    problems = info.value.problems
    by_place = {p.location: p for p in problems}
    assert by_place["exclude[0]"].line == 3 and "speeder" in by_place["exclude[0]"].hint
    assert by_place["analyses.fit.estimator"].code == "invalid-value"
    assert by_place["analyses.fit.estimator"].hint == "Did you mean 'WLSMV'?"
    assert by_place["analyses.fit.bootstrp"].code == "unknown-field" and by_place["analyses.fit.bootstrp"].line == 5
    assert by_place["analyses.sem"].code == "unknown-field" and by_place["analyses.sem"].line == 6
    assert by_place["analyses.effects.bootstrap"].code == "invalid-value"
    assert by_place["analyses.power.n[1]"].code == "wrong-type"
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert all(p.file == str(path) for p in problems)


def test_data_and_simulate_together_and_missing_files(tmp_path):
    with pytest.raises(RecipeError) as info:
        load_recipe(write(tmp_path, """\
            instrument: nowhere.yaml
            data: {repo}/data/synthetic/grid_governance.csv
            simulate: {n: 100}
            analyses: [reliability]
            """))
    codes = {p.location: p.code for p in info.value.problems}
    assert codes == {"instrument": "file-not-found", "simulate": "conflict"}


def test_simulate_needs_n_and_seed(tmp_path):
    with pytest.raises(RecipeError) as info:
        load_recipe(write(tmp_path, """\
            instrument: {repo}/instruments/grid_governance.yaml
            simulate: {n: 100}
            analyses: [reliability]
            """))
    assert [(p.code, p.location) for p in info.value.problems] == [("missing-field", "simulate.seed")]


@pytest.mark.parametrize("text, code", [
    ("", "missing-field"),
    ("- a\n- b\n", "wrong-type"),
    ("instrument: [\n", "yaml-syntax"),
    ("instrument: !!python/object:os.system {}\n", "unsafe-yaml"),
])
def test_not_a_recipe(tmp_path, text, code):
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    assert code in info.value.codes


def test_cli_reports_problems_without_traceback(tmp_path, capsys):
    path = write(tmp_path, """\
        instrument: {repo}/instruments/grid_governance.yaml
        data: {repo}/data/synthetic/grid_governance.csv
        analyses: {fit: {estimatr: ML}}
        """)
    assert main(["analyze", str(path), "--check"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3 [analyses.fit.estimatr]: unknown-field" in err and "Did you mean 'estimator'?" in err
    assert "Traceback" not in err


def test_cli_needs_one_mode(tmp_path, capsys):
    assert main(["analyze", str(SEED_RECIPES[0])]) == 2
    assert "exactly one of -o OUT, --verify OUT, --to-script FILE or --check" in capsys.readouterr().err
    assert main(["analyze", str(SEED_RECIPES[0]), "--check"]) == 0


def test_verify_refuses_a_folder_that_is_not_results(tmp_path, capsys):
    assert main(["analyze", "--verify", str(tmp_path)]) == 1
    assert "has no manifest.json" in capsys.readouterr().err
