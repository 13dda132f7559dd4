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

import pandas as pd
import pytest

from govstats import fit
from tests_support import assert_partable_matches

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


def test_parameter_table_as_lavaan(tables):
    lav, ours = tables
    assert_partable_matches(lav, ours)
