"""The README's quickstart works as written in a new virtual environment.

This builds a venv and installs govstats with its dependencies (from the package index or
the local wheel cache), so it takes a minute or two; it is the only test that does (marked
slow: `python -m pytest -m "not slow"` leaves it out).
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Runtime dependencies govstats does not import itself: pins of a dependency's dependency.
PINS_ONLY = {"scikit-learn"}  # factor_analyzer 0.5.1 breaks on scikit-learn 1.8


def _dist(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def imported_distributions() -> set[str]:
    """The distributions of the third-party modules the package imports (at top level or lazily)."""
    modules = set()
    for path in (REPO / "govstats").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    modules -= set(sys.stdlib_module_names) | {"govstats"}
    owners = importlib.metadata.packages_distributions()
    return {_dist(owners.get(m, [m])[0]) for m in modules}


def quickstart() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- quickstart:start -->\s*```bash\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quickstart_is_two_commands_and_ci_runs_the_second():
    demo, tests = quickstart()
    assert "govstats demo" in demo and "pytest" in tests
    assert tests in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_runtime_dependencies_are_what_the_package_imports():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_dist(r) for r in project["dependencies"]}
    # imported only for PDF output, for Dask clusters (govstats.parallel), for legacy .xls exports and for
    # rendering the notebooks (govstats.notebook_html)
    optional = {_dist(r) for extra in ("pdf", "dask", "xls", "notebooks") for r in project["optional-dependencies"][extra]}
    imported = imported_distributions()
    assert imported - runtime - optional == set(), "imported by govstats but not a runtime dependency"
    # Test and benchmark tools (semopy, pytest) belong in the extras, not here; statsmodels is a runtime
    # dependency since multilevel() fits MixedLM.
    assert runtime - imported - PINS_ONLY == set(), "a runtime dependency govstats never imports"


@pytest.mark.slow  # a fresh venv and a full install: a minute or more
def test_quickstart_in_a_fresh_venv(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(env_dir)

    def run(command: str) -> subprocess.CompletedProcess:
        result = subprocess.run(["bash", "-c", command], cwd=REPO, env=env, capture_output=True,
                                text=True, encoding="utf-8", timeout=1200)
        assert result.returncode == 0, f"{command!r} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result

    demo, tests = quickstart()
    out = run(demo).stdout  # as written
    assert "RIE ~ CD + CI + PE + SE" in out
    # The installed package, not the checkout, must carry the seed instruments.
    where = run("cd / && python -c 'import govstats.resources as r; print(r.instruments_dir())'").stdout
    assert str(env_dir) in where
    # The runtime dependencies work together: factor_analyzer 0.5.1 breaks on scikit-learn
    # 1.8 (check_array lost force_all_finite), which the pin in pyproject.toml avoids.
    run("cd / && python -c 'import numpy as np, pandas, scipy.stats, yaml, threadpoolctl, openpyxl, pyreadstat,"
        " pyxform, frictionless;"
        " from factor_analyzer import FactorAnalyzer;"
        " x = np.random.default_rng(0).normal(size=(300, 6)); x[:, 3:] += x[:, :3];"
        " FactorAnalyzer(n_factors=2, rotation=None).fit(x)'")
    # ... and the demo above ran without the test and benchmark extras.
    run("cd / && python -c 'import importlib.util as u; assert u.find_spec(\"semopy\") is None'")
    # The test command as written would run this suite again inside itself: run its
    # install step as written, then a part of the suite with the venv's pytest.
    install = tests.split("&&")[0].strip()
    run(install)
    run("python -m pytest -q -p no:cacheprovider tests/instrument/test_load.py")
