"""The command line on Wenjuanxing exports, and every command reading its data the same way."""

from __future__ import annotations

import json
import warnings

import pandas as pd

from govstats import load_instrument, simulate
from govstats.cli import main
from govstats.data.wenjuanxing import IP_COLUMN
from govstats.data.wenjuanxing_export import wenjuanxing_export, write_wenjuanxing_export
from govstats.resources import seed_instrument_path

GRID = seed_instrument_path("grid_governance")


def _export(tmp_path, by="text", suffix=".xlsx"):
    inst = load_instrument(GRID)
    df = simulate(inst, 200, seed=9, speeders=0.05).responses
    df[IP_COLUMN] = [f"61.129.{k // 250}.{k % 250}" for k in range(len(df))]
    df.loc[[3, 30], IP_COLUMN] = "61.129.7.3"
    return inst, df, write_wenjuanxing_export(df, inst, tmp_path / f"export{suffix}", by=by)


def test_check_reports_the_quality_of_a_wenjuanxing_export(tmp_path, capsys):
    _, _, path = _export(tmp_path, by="number", suffix=".xls")
    assert main(["check", str(GRID), str(path), "--json", str(tmp_path / "r.json"), "--strict"]) == 0
    out = capsys.readouterr().out
    assert "a Wenjuanxing export by option number (选项序号)" in out
    assert "duplicate-ip" in out and "speeder" in out
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    rows = sorted(p["row"] for p in report["problems"] if p["rule"] == "duplicate-ip")
    assert rows == [5, 32]


def test_score_and_reliability_read_the_export_as_check_does(tmp_path, capsys):
    _, df, path = _export(tmp_path)
    assert main(["score", str(GRID), str(path), "-o", str(tmp_path / "s.csv")]) == 0
    scores = pd.read_csv(tmp_path / "s.csv")
    assert len(scores) == len(df) and scores["respondent_id"].tolist() == df["respondent_id"].tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["reliability", str(GRID), str(path), "--source", "wenjuanxing"]) == 0
    assert "200 of 200 respondents used" in capsys.readouterr().out


def test_a_mapping_file_on_the_command_line(tmp_path, capsys):
    inst = load_instrument(GRID)
    df = simulate(inst, 60, seed=2).responses
    table = wenjuanxing_export(df, inst, by="text")
    renamed = {h: h.replace("是？", "是多少？") for h in table.columns if "年龄" in h}
    assert renamed
    table = table.rename(columns=renamed)
    table.to_csv(tmp_path / "e.csv", index=False, encoding="gbk")
    header = next(iter(renamed.values()))
    (tmp_path / "map.csv").write_text(f"header,column\n{header},\n", encoding="utf-8")
    assert main(["check", str(GRID), str(tmp_path / "e.csv"), "--mapping", str(tmp_path / "map.csv")]) == 0
    assert "match no question of the instrument and are kept" in capsys.readouterr().out


def test_efa_and_reliability_take_lavaan_syntax(tmp_path, capsys):
    inst = load_instrument(GRID)
    df = simulate(inst, 300, seed=5).responses
    df.to_csv(tmp_path / "d.csv", index=False, encoding="gbk")
    (tmp_path / "m.lav").write_text("VS =~ VS1 + VS2 + VS3 + VS4\nIS =~ IS1 + IS2 + IS3 + IS4\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["reliability", str(tmp_path / "m.lav"), str(tmp_path / "d.csv"), "--json",
                     str(tmp_path / "r.json")]) == 0
        assert main(["efa", str(tmp_path / "m.lav"), str(tmp_path / "d.csv"), "--n-factors", "2"]) == 0
    assert set(json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["constructs"]) == {"VS", "IS"}
    out = capsys.readouterr().out
    assert "VS1" in out and "Harman" in out
