"""KoboToolbox/ODK select_multiple option columns (grp/Q/1 = 1|0) merged back into the question."""

from __future__ import annotations

import pandas as pd
import pytest

from govstats import check_responses, load_instrument, simulate
from govstats.data import read_responses
from govstats.resources import seed_instrument_path

Q = "integration_mode"


@pytest.fixture(scope="module")
def data():
    inst = load_instrument(seed_instrument_path("ri_element"))
    df = simulate(inst, 40, seed=3).responses
    for code in (1, 2, 3, 4):  # as KoboToolbox exports them, inside the question's group
        df[f"grp_end/{Q}/{code}"] = [None if pd.isna(v) else int(str(code) in v.split()) for v in df[Q]]
    return inst, df


def test_option_columns_are_checked_against_the_question_and_dropped(tmp_path, data):
    inst, df = data
    df = df.copy()
    k = next(i for i, v in enumerate(df[Q]) if isinstance(v, str) and "2" in v.split())
    df.loc[k, f"grp_end/{Q}/2"] = 0                          # contradicts the question's column
    df.to_csv(tmp_path / "kobo.csv", index=False, sep=";")
    read = read_responses(tmp_path / "kobo.csv", inst)
    assert read.attrs["govstats_read"]["merged"] == {Q: [f"grp_end/{Q}/{c}" for c in (1, 2, 3, 4)]}
    assert not [c for c in read.columns if c.startswith("grp_end/")]
    problems = check_responses(inst, read).problems
    bad = problems[problems.rule == "multiple-mismatch"]
    assert bad[["row", "column"]].values.tolist() == [[k + 2, Q]]
    assert "unexpected-column" not in set(problems.rule)


def test_without_the_question_column_it_is_rebuilt_from_the_options(tmp_path, data):
    inst, df = data
    labels = {1: "盘活社区里已有的资源", 2: "通过平台链接社区外部的资源", 3: "通过建立规章制度来整合资源", 4: "其他"}
    out = df.drop(columns=[Q]).rename(columns={f"grp_end/{Q}/{c}": f"{Q}/{labels[c]}" for c in labels})
    out.to_csv(tmp_path / "kobo.csv", index=False)
    read = read_responses(tmp_path / "kobo.csv", inst)
    want = df[Q].fillna("").tolist()
    assert read[Q].fillna("").tolist() == want
    assert not (check_responses(inst, read).problems.rule == "missing-column").any()
