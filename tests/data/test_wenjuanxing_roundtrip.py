"""Round trip through Wenjuanxing (问卷星): simulate, write both exports, read them back.

For each seed instrument (given a multi-select question where it has none): responses
simulated with careless respondents and speeders, skipped answers, two submissions from one
IP address; written as the export by option text and the export by option number (XLSX,
XLS, CSV in GBK and UTF-8); read back with read_responses. Both exports must give the same
data frame, every value equal to the original, and the check must find exactly the problems
it finds in the original data, plus the shared IP address at its two rows, and nothing else.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from govstats import check_responses, load_instrument, simulate
from govstats.data import read_responses
from govstats.data.wenjuanxing import IP_COLUMN
from govstats.data.wenjuanxing_export import wenjuanxing_export, write_wenjuanxing_export
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path

MULTI = {
    "id": "info_channels",
    "type": "multiple_choice",
    "text": {"zh": "您平时通过哪些渠道了解社区里的事情？（可多选）",
             "en": "Through which channels do you usually learn about community matters? (Select all that apply.)"},
    "choices": [{"code": 1, "zh": "微信群", "en": "WeChat groups"},
                {"code": 2, "zh": "社区公告栏", "en": "Community notice board"},
                {"code": 3, "zh": "邻居或朋友", "en": "Neighbours or friends"},
                {"code": 4, "zh": "其他", "en": "Other"}],
    "placement": "end",
}
FORMATS = {  # (text export, number export): every reader path in turn
    "ri_asset": (".xlsx", ".xls"),
    "ri_element": (".csv", ".xlsx"),
    "party_building": (".xls", ".csv"),
    "grid_governance": (".csv", ".csv"),
    "platform_dilemma": (".xlsx", ".xlsx"),
}
ENCODING = {"ri_element": "gb18030", "party_building": "utf-8", "grid_governance": "utf-8-sig"}


def with_multiple_choice(name: str, folder) -> object:
    """The seed instrument, with a multi-select question added when it has none."""
    inst = load_instrument(seed_instrument_path(name))
    if any(q.type == "multiple_choice" for q in inst.questions):
        return inst
    doc = yaml.safe_load(seed_instrument_path(name).read_text(encoding="utf-8"))
    doc["include"] = [f"govstats:{path}" for path in doc["include"]]
    doc.setdefault("questions", []).append(MULTI)
    path = folder / f"{name}_multi.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_instrument(path)


def responses(inst, n=160, seed=11):
    df = simulate(inst, n, seed=seed, careless=0.06, speeders=0.05).responses
    items = [i.id for i in inst.items]
    for k, column in ((4, items[0]), (17, items[7]), (40, items[-1]), (41, items[-1])):
        df.loc[k, column] = pd.NA          # skipped answers: (跳过) / -3 in the exports
    df[IP_COLUMN] = [f"183.192.{k // 200}.{k % 200 + 1}" for k in range(len(df))]
    df.loc[[10, 20], IP_COLUMN] = "183.192.16.69"   # two submissions from one address
    return df


def _same_values(read: pd.DataFrame, original: pd.DataFrame, inst) -> None:
    meta = inst.metadata
    assert read[meta.respondent_id].tolist() == original[meta.respondent_id].astype(str).tolist()
    for c in (meta.start, meta.end):
        assert (pd.to_datetime(read[c]).to_numpy() == pd.to_datetime(original[c]).to_numpy()).all(), c
    for c in inst.columns()[4:]:
        got, want = read[c], original[c]
        if pd.api.types.is_numeric_dtype(want.dtype):
            np.testing.assert_array_equal(got.to_numpy(dtype=float, na_value=np.nan),
                                          want.to_numpy(dtype=float, na_value=np.nan), err_msg=c)
        else:  # text and multi-select codes ("1 3"); a blank and "" are both no answer
            assert got.fillna("").astype(str).tolist() == want.astype(object).fillna("").astype(str).tolist(), c


@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_both_exports_read_back_to_the_original_and_the_same_problems(name, tmp_path):
    inst = with_multiple_choice(name, tmp_path)
    df = responses(inst)
    text_suffix, number_suffix = FORMATS[name]
    encoding = ENCODING.get(name, "gb18030")
    text = write_wenjuanxing_export(df, inst, tmp_path / f"text{text_suffix}", by="text", encoding=encoding)
    number = write_wenjuanxing_export(df, inst, tmp_path / f"number{number_suffix}", by="number", encoding=encoding)
    by_text, by_number = read_responses(text, inst), read_responses(number, inst)
    assert by_text.attrs["govstats_read"]["export"] == "text"
    assert by_number.attrs["govstats_read"]["export"] == "number"
    pd.testing.assert_frame_equal(by_text, by_number)
    _same_values(by_text, df, inst)
    assert not by_text.attrs["govstats_read"]["unmapped"] and not by_text.attrs["govstats_read"]["similar"]
    assert by_text.attrs["govstats_read"]["skipped"][inst.items[0].id] == {"skipped (跳过)": 1}
    assert by_number.attrs["govstats_read"]["skipped"][inst.items[-1].id] == {"skipped (-3)": 2}

    expected = check_responses(inst, df).problems
    got = check_responses(inst, by_number).problems
    key = ["row", "column", "rule", "message"]
    ips = got[got.rule == "duplicate-ip"]
    assert ips["row"].tolist() == [12, 22] and set(ips["column"]) == {IP_COLUMN}
    pd.testing.assert_frame_equal(got[key].reset_index(drop=True), expected[key].reset_index(drop=True))
    # the skipped answers are where they were skipped, and the planted speeders are caught
    missing = got[got.rule == "required-missing"]
    assert {(r, c) for r, c in zip(missing.row, missing.column)} >= {(6, inst.items[0].id), (43, inst.items[-1].id)}
    assert (got.rule == "speeder").sum() >= 1


def test_a_value_that_maps_to_nothing_is_a_located_problem_in_either_export(tmp_path):
    inst = load_instrument(seed_instrument_path("ri_asset"))
    df = simulate(inst, 60, seed=3).responses
    text = wenjuanxing_export(df, inst, by="text")
    number = wenjuanxing_export(df, inst, by="number")
    ic2 = next(h for h in text.columns if h.startswith("社区能通过微信群"))
    text.loc[2, ic2] = "很同意"          # no label of agree5
    number.loc[3, ic2] = 8               # no 8th option
    text.loc[5, "所用时间"] = "很久"       # no duration
    for table, name in ((text, "t.csv"), (number, "n.csv")):
        table.to_csv(tmp_path / name, index=False, encoding="gbk")
    got = check_responses(inst, read_responses(tmp_path / "t.csv", inst)).problems
    located = {(r.row, r.column, r.rule) for r in got.itertuples()}
    assert (4, "IC2", "unknown-label") in located and (7, "_duration_s", "wrong-type") in located
    assert "'很同意' is neither a code nor a label" in got.loc[got.rule == "unknown-label", "message"].iloc[0]
    got = check_responses(inst, read_responses(tmp_path / "n.csv", inst)).problems
    row = got[(got.rule == "unknown-label") & (got.column == "IC2")]
    assert row["row"].tolist() == [5] and "option number 8 (of 5)" in row["message"].iloc[0]


def test_the_speeder_check_uses_the_time_taken(tmp_path):
    inst = load_instrument(seed_instrument_path("grid_governance"))
    df = simulate(inst, 80, seed=2).responses
    df.loc[7, "start_time"] = df.loc[7, "end_time"] - pd.Timedelta(seconds=45)
    path = write_wenjuanxing_export(df, inst, tmp_path / "e.csv", by="number")
    read = read_responses(path, inst)
    assert read.loc[9, "_duration_s"] == 45
    flags = check_responses(inst, read).flags
    assert flags.loc[9, "flag_speeder"] and flags.loc[9, "duration_s"] == 45
