"""The parameter table against lavaan 0.6.14's parTable() on every fixture (tests/reference/partable/).

lavaan's automatic rules (auto.fix.first, auto.fix.single, auto.var, auto.cov.lv.x,
auto.cov.y, auto.th, auto.delta, meanstructure, fixed.x, group.equal) show up here as a
difference in rows, their order, which are free, fixed values, labels, exo, or in which
parameters are held equal. The one intended difference: parameters held equal share one free
number here, where lavaan numbers each and adds '==' rows; the test compares the partitions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "partable"
MULTIGROUP_ORDINAL = Path(__file__).resolve().parents[1] / "reference" / "sem_ordinal" / "multigroup"
REPO = Path(__file__).resolve().parents[2]
CASES = sorted(p.stem for p in REFERENCE.glob("*.json")) + sorted(p.stem for p in MULTIGROUP_ORDINAL.glob("*.json"))


def _kwargs(call: dict) -> dict:
    args = dict(call.get("args") or {})
    out = {}
    for key, value in args.items():
        key = key.replace(".", "_")
        out[key] = value[0] if isinstance(value, list) and key in ("estimator", "missing", "parameterization") \
            else value
    if call.get("ordered") is not None:
        out["ordered"] = call["ordered"]
    if "group_equal" in out:
        out["group_equal"] = [g for g in out["group_equal"] if g != "intercepts" or not call.get("ordered")]
    return out


def _load(case: str):
    path = REFERENCE / f"{case}.json"
    if path.exists():
        ref = json.loads(path.read_text(encoding="utf-8"))
        call = ref["call"]
        model = call.get("model") or (REPO / call["model_file"]).read_text(encoding="utf-8")
        data = pd.read_csv(REPO / call["data_file"])
        return ref["partable"], fit(model, data, **_kwargs(call))
    ref = json.loads((MULTIGROUP_ORDINAL / f"{case}.json").read_text(encoding="utf-8"))
    equal = [g for g in ref["group_equal"] if g != "intercepts"]
    res = fit(ref["model"], pd.read_csv(REPO / ref["data_file"]), ordered=True, group=ref["group"],
              group_equal=equal, parameterization=ref["options"]["parameterization"])
    return ref["partable"], res


@pytest.fixture(scope="module", params=CASES)
def tables(request):
    lavaan, res = _load(request.param)
    lav = pd.DataFrame(lavaan)
    lav["rhs"] = lav["rhs"].fillna("")
    return lav, res.partable()


def _key(r) -> tuple:
    return (r.lhs, r.op, r.rhs, int(r.group))


def test_same_rows_in_the_same_order(tables):
    lav, ours = tables
    lav_rows = [_key(r) for r in lav[~lav.op.isin(["==", ":="])].itertuples()]
    our_rows = [_key(r) for r in ours[~ours.op.isin(["==", ":="])].itertuples()]
    assert our_rows == lav_rows


def test_free_fixed_values_user_and_exo(tables):
    lav, ours = tables
    lav = lav[~lav.op.isin(["==", ":="])].reset_index(drop=True)
    ours = ours[~ours.op.isin(["==", ":="])].reset_index(drop=True)
    np.testing.assert_array_equal(ours.free > 0, lav.free > 0)
    np.testing.assert_array_equal(ours.user, lav.user)
    np.testing.assert_array_equal(ours.exo, lav.exo)
    fixed = (lav.free == 0) & lav.ustart.notna() & (lav.exo == 0)
    np.testing.assert_allclose(ours.ustart[fixed].astype(float), lav.ustart[fixed].astype(float))


def test_equal_parameters_and_labels(tables):
    lav, ours = tables
    defined = lav[lav.op == ":="]
    assert list(ours[ours.op == ":="].lhs) == list(defined.lhs)
    body = lav[~lav.op.isin(["==", ":="])].reset_index(drop=True)
    mine = ours[~ours.op.isin(["==", ":="])].reset_index(drop=True)
    user_labels = body.label.fillna("").astype(str)
    user_labels = user_labels.where(~user_labels.str.startswith(".p"), "")
    np.testing.assert_array_equal(mine.label.where(~mine.label.str.startswith("."), ""), user_labels)
    # lavaan: equal parameters share a label (user labels, or .pN. from group.equal) or an '==' row
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
