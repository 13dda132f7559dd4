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


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo's printed output and folder, run once per test session (about 45 s): the tests of
    its steps share one run instead of running it each."""
    return _run_demo(tmp_path_factory.mktemp("demo"), [])


@pytest.fixture(scope="session")
def demo_run_ml(tmp_path_factory):
    """As demo_run, with ``--estimator ML``."""
    return _run_demo(tmp_path_factory.mktemp("demo_ml"), ["--estimator", "ML"])


def _run_demo(folder: Path, options: list) -> tuple[str, Path]:
    import contextlib
    import io

    from govstats.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo", "--out", str(folder), *options]) == 0
    return out.getvalue(), folder


# -- lavaan's ordinal-SEM fixtures (tests/reference/sem_ordinal, layout in its README) --------
ORDINAL_REFERENCE = REPO / "tests" / "reference" / "sem_ordinal"


def load_ordinal_case(name: str) -> dict:
    """One case's JSON."""
    import json

    return json.loads((ORDINAL_REFERENCE / f"{name}.json").read_text(encoding="utf-8"))


def lavaan_gamma(case: dict):
    """The case's Gamma from its gzipped lower triangle (row by row: (0,0), (1,0), (1,1), ...)."""
    import gzip

    import numpy as np

    with gzip.open(REPO / case["gamma_file"], "rt") as fh:
        vals = np.loadtxt(fh)
    k = len(case["stage1_names"])
    out = np.zeros((k, k))
    rows, cols = np.tril_indices(k)
    out[rows, cols] = vals
    out[cols, rows] = vals
    return out


def assert_fit_measures_match(ours: dict, lavaan: dict, chisq_rtol: float = 1e-6, atol: float = 1e-5) -> None:
    """Every fit measure lavaan reported (None: NA, skipped): chi-squares and likelihood-based
    ones to a relative tolerance, the others to an absolute one."""
    import pytest

    for name, value in lavaan.items():
        if value is None:
            continue
        mine = ours[name.replace(".", "_")]
        if ("chisq" in name and "factor" not in name) or name in ("logl", "aic", "bic"):
            assert mine == pytest.approx(value, rel=chisq_rtol), name
        else:
            assert mine == pytest.approx(value, abs=atol), name


def assert_estimates_match(params, lavaan_rows: list, est_atol: float = 1e-4, se_rtol: float = 1e-3,
                           std_atol: float = 1e-4) -> None:
    """Our parameter table against lavaan's parameterEstimates rows (lhs, op, rhs[, group], est,
    se, std.all): estimates and standardized values to an absolute, free SEs to a relative tolerance."""
    import numpy as np
    import pandas as pd

    lav = pd.DataFrame(lavaan_rows)
    lav["rhs"] = lav["rhs"].fillna("")
    if "group" not in lav:
        lav["group"] = 1
    ours = params.set_index(["lhs", "op", "rhs", "group"]).loc[list(zip(lav.lhs, lav.op, lav.rhs, lav.group))]
    np.testing.assert_allclose(ours.est, lav.est, atol=est_atol)
    free = lav.se.to_numpy() > 0
    np.testing.assert_allclose(ours.se.to_numpy()[free], lav.se.to_numpy()[free], rtol=se_rtol)
    np.testing.assert_allclose(ours.std_all, lav["std.all"], atol=std_atol)


def assert_partable_matches(lavaan_rows, ours, same_order: bool = True) -> None:
    """Our ``partable()`` against lavaan's ``parTable()`` rows: the same rows in the same order
    (or, with ``same_order=False``, in any order), which are free, the fixed values, user and exo
    flags, user labels, the defined parameters, and which free parameters are held equal (lavaan
    numbers each and adds '==' rows or shares a label; here equal parameters share one free
    number, so the partitions are compared)."""
    import numpy as np
    import pandas as pd

    lav = pd.DataFrame(lavaan_rows)
    lav["rhs"] = lav["rhs"].fillna("")
    if "group" not in lav:
        lav["group"] = 1
    skip = ["==", "<", ">", ":="]
    body = lav[~lav.op.isin(skip)].reset_index(drop=True)
    mine = ours[~ours.op.isin(skip)].reset_index(drop=True)
    key = ["lhs", "op", "rhs", "group"]
    if not same_order:
        position = {tuple(r): k for k, r in enumerate(body[key].astype({"group": int}).itertuples(index=False))}
        order = [position.get(tuple(r), len(position)) for r in mine[key].itertuples(index=False)]
        mine = mine.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    assert [tuple(r) for r in mine[key].itertuples(index=False)] == \
        [tuple(r) for r in body[key].astype({"group": int}).itertuples(index=False)]
    np.testing.assert_array_equal(mine.free > 0, body.free > 0)
    for column in ("user", "exo"):
        if column in body:
            np.testing.assert_array_equal(mine[column], body[column], err_msg=column)
    if "ustart" in body:
        fixed = (body.free == 0) & body.ustart.notna() & (body.get("exo", 0) == 0)
        np.testing.assert_allclose(mine.ustart[fixed].astype(float), body.ustart[fixed].astype(float))
    assert list(ours[ours.op == ":="].lhs) == list(lav[lav.op == ":="].lhs)
    user_labels = body.label.fillna("").astype(str)
    user_labels = user_labels.where(~user_labels.str.startswith(".p"), "")
    np.testing.assert_array_equal(mine.label.where(~mine.label.str.startswith("."), ""), user_labels)
    if "plabel" not in body:
        return
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    plabel = dict(zip(body.plabel, range(len(body))))
    for r in lav[lav.op == "=="].itertuples():
        if r.lhs in plabel and r.rhs in plabel:
            parent[find(plabel[r.lhs])] = find(plabel[r.rhs])
    for label, rows in body[body.free > 0].groupby(body.label.fillna("")):
        if label:
            for k in rows.index[1:]:
                parent[find(k)] = find(rows.index[0])
    free = body.index[body.free > 0]
    lav_classes = {frozenset(k for k in free if find(k) == root) for root in {find(k) for k in free}}
    our_classes = {frozenset(rows.index) for _, rows in mine[mine.free > 0].groupby("free")}
    assert our_classes == lav_classes
