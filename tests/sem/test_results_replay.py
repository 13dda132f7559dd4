"""Results record their options: the JSON replays a fit, and the command line writes the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from govstats import fit
from govstats.cli import main

REPO = Path(__file__).resolve().parents[2]
HS = REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"
MODEL = REPO / "tests" / "reference" / "sem" / "models" / "hs_cfa.lav"


def test_options_in_json_replay_the_fit(tmp_path):
    data = pd.read_csv(HS)
    res = fit(MODEL.read_text(), data, estimator="mlr", group="school", group_equal="loadings")
    res.to_json(tmp_path / "fit.json")
    saved = json.loads((tmp_path / "fit.json").read_text(encoding="utf-8"))
    assert saved["options"]["estimator"] == "MLR" and saved["options"]["group_equal"] == ["loadings"]
    assert saved["options"]["se"] == "robust.huber.white" and saved["options"]["test"] == "yuan.bentler.mplus"
    again = fit(MODEL.read_text(), data, **saved["options"])
    np.testing.assert_array_equal(again.coef.to_numpy(), res.coef.to_numpy())
    assert saved["group_labels"] == ["Pasteur", "Grant-White"] and saved["nobs_groups"] == [156, 145]


def test_command_line_fit_with_groups_writes_options(tmp_path, capsys):
    out = tmp_path / "fit.json"
    code = main(["fit", str(MODEL), str(HS), "--group", "school", "--group-equal", "loadings,intercepts",
                 "--group-partial", "x3~1", "--json", str(out)])
    assert code == 0
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["options"]["group_partial"] == ["x3~1"]
    intercepts = {(p["lhs"], p["group"]): p["est"] for p in saved["params"] if p["op"] == "~1"}
    assert intercepts[("x3", 1)] != intercepts[("x3", 2)]          # freed by group_partial
    assert intercepts[("x2", 1)] == intercepts[("x2", 2)]          # held equal
