"""The README's quickstart works as written in a new virtual environment.

This builds a venv and installs govstats with its dependencies (from the package index or
the local wheel cache), so it takes a minute or two; it is the only test that does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def quickstart() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- quickstart:start -->\s*```bash\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quickstart_is_two_commands_and_ci_runs_the_second():
    demo, tests = quickstart()
    assert "govstats demo" in demo and "pytest" in tests
    assert tests in (REPO / ".ci" / "run").read_text(encoding="utf-8")


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
    run("cd / && python -c 'import numpy as np, semopy, statsmodels, pandas;"
        " from factor_analyzer import FactorAnalyzer;"
        " x = np.random.default_rng(0).normal(size=(300, 6)); x[:, 3:] += x[:, :3];"
        " FactorAnalyzer(n_factors=2, rotation=None).fit(x)'")
    # The test command as written would run this suite again inside itself: run its
    # install step as written, then a part of the suite with the venv's pytest.
    install = tests.split("&&")[0].strip()
    run(install)
    run("python -m pytest -q -p no:cacheprovider tests/instrument/test_load.py")
