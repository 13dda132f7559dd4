"""check_responses: every injected problem reported at its row and column, and nothing else."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from responses_support import SYNTHETIC, clean_cells, messy_export, schema_set, write_csv, write_sav, write_xlsx

from govstats import CheckReport, check_responses, load_instrument, read_responses, simulate
from govstats.data.rules import RULES
from govstats.resources import seed_instrument_path


@pytest.fixture(scope="module")
def inst():
    return load_instrument(seed_instrument_path("ri_asset"))


@pytest.fixture(scope="module")
def clean_report(inst):
    return check_responses(inst, read_responses(SYNTHETIC / "ri_asset.csv", inst))


def test_the_clean_committed_file_has_no_schema_problem(clean_report):
    assert schema_set(clean_report) == set()
    assert clean_report.n_rows == 600 and len(clean_report.flags) == 600


WRITERS = {
    "utf-8": lambda ex, d: write_csv(ex, d / "x.csv"),
    "utf-8 BOM": lambda ex, d: write_csv(ex, d / "x.csv", encoding="utf-8-sig"),
    "GBK": lambda ex, d: write_csv(ex, d / "x.csv", encoding="gbk"),
    "GBK semicolons": lambda ex, d: write_csv(ex, d / "x.csv", encoding="gbk", sep=";"),
    "xlsx": lambda ex, d: write_xlsx(ex, d / "x.xlsx"),
    "sav": lambda ex, d: write_sav(ex, d / "x.sav"),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_injected_problems_have_precision_and_recall_one(tmp_path, inst, writer):
    ex = messy_export()
    report = check_responses(inst, read_responses(WRITERS[writer](ex, tmp_path), inst))
    found = schema_set(report)
    assert found - ex.expected == set(), "reported but not injected"
    assert ex.expected - found == set(), "injected but not reported"


@pytest.mark.parametrize("separator", ["/", "-"])
def test_kobo_export_with_injected_problems(tmp_path, inst, separator):
    ex = messy_export(kobo=separator)
    report = check_responses(inst, read_responses(write_csv(ex, tmp_path / "kobo.csv", sep=";"), inst))
    assert schema_set(report) == ex.expected  # _uuid and _submission_time are not "unexpected"
    assert any("_uuid" in note for note in report.notes)
    assert any("renamed" in note for note in report.notes)


def test_messages_name_the_value_and_what_is_allowed(tmp_path, inst):
    ex = messy_export()
    report = check_responses(inst, read_responses(write_csv(ex, tmp_path / "x.csv"), inst))
    p = report.problems.set_index(["row", "column", "rule"])["message"]
    assert p[(5, "IC2", "code-out-of-range")] == "7 is not a code of agree5 (codes 1-5)"
    assert p[(9, "IC3", "code-out-of-range")] == "3.5 is not a code of agree5 (codes 1-5)"
    assert p[(8, "GR1", "unknown-label")] == "'很同意' is neither a code nor a label of agree5 (codes 1-5)"
    assert p[(11, "age", "value-out-of-range")] == "150 is outside the allowed range (18 to 100)"
    assert p[(10, "age", "wrong-type")] == "'abc' is not a number"
    assert p[(13, "consent", "no-consent")].startswith("consent declined (0), yet ")
    last = len(ex.records) + 1
    assert p[(12, "respondent_id", "duplicate-id")] == (
        f"respondent id 11 is also on row {last} (identical answers: a repeated submission)")
    assert report.problems.loc[report.problems["rule"] == "empty-row", "respondent_id"].isna().all()


def test_respondent_ids_in_problems(tmp_path, inst):
    report = check_responses(inst, read_responses(write_csv(messy_export(), tmp_path / "x.csv"), inst))
    p = report.problems
    row = p[(p["rule"] == "code-out-of-range") & (p["column"] == "IC2")].iloc[0]
    assert (row["row"], row["respondent_id"]) == (5, "4")  # ids are text, as written
    header = p[p["row"] == 1]
    assert header["respondent_id"].isna().all() and set(header["rule"]) == {"missing-column", "unexpected-column"}


def test_label_text_in_a_frame_not_read_by_read_responses(inst):
    df = simulate(inst, 50, seed=2).responses.astype({"IC1": object})
    df.loc[3, "IC1"] = "比较同意"
    df.loc[4, "IC1"] = "sort of"
    report = check_responses(inst, df)
    assert schema_set(report) == {(5, "IC1", "label-not-code"), (6, "IC1", "unknown-label")}
    msg = report.problems.loc[report.problems["rule"] == "label-not-code", "message"].item()
    assert "label of code 4" in msg and "read_responses" in msg


def test_rows_of_a_plain_frame_are_numbered_as_its_csv(inst):
    df = simulate(inst, 30, seed=3).responses
    df.loc[0, "IC1"] = 9
    df.loc[29, "IC1"] = 0
    report = check_responses(inst, df)
    assert schema_set(report) == {(2, "IC1", "code-out-of-range"), (31, "IC1", "code-out-of-range")}
    assert report.flags["row"].tolist() == list(range(2, 32))


def test_the_input_frame_is_not_modified(tmp_path, inst):
    df = read_responses(write_csv(messy_export(), tmp_path / "x.csv"), inst)
    before = df.copy(deep=True)
    dtypes, attrs = df.dtypes.copy(), json.dumps(df.attrs, default=str)
    check_responses(inst, df)
    pd.testing.assert_frame_equal(df, before)
    assert df.dtypes.equals(dtypes) and json.dumps(df.attrs, default=str) == attrs
    sim = simulate(inst, 100, seed=4, careless=0.2, missing=0.05).responses
    before = sim.copy(deep=True)
    check_responses(inst, sim)
    pd.testing.assert_frame_equal(sim, before)


def test_a_float_frame_is_not_modified_through_a_view(inst):
    df = simulate(inst, 60, seed=5, missing=0.1).responses
    items = [i.id for i in inst.items]
    df[items] = df[items].astype("float64")  # plain numpy columns: to_numpy could hand out views
    before = df.copy(deep=True)
    check_responses(inst, df)
    pd.testing.assert_frame_equal(df, before)


def test_skip_logic_and_multiple_choice():
    inst = load_instrument(seed_instrument_path("ri_element"))
    df = read_responses(SYNTHETIC / "ri_element.csv", inst)
    assert schema_set(check_responses(inst, df)) == set()
    cells = clean_cells("ri_element")
    asked = cells.index[cells["role"].isin(["2", "3"])]
    not_asked = cells.index[~cells["role"].isin(["2", "3"])]
    cells.loc[asked[0], "integration_mode"] = ""            # required, asked, blank
    cells.loc[asked[1], "integration_mode"] = "1 9"         # 9 is no choice
    cells.loc[asked[2], "integration_mode"] = "1 其他方式"    # text that is no label
    cells.loc[not_asked[0], "integration_mode"] = "2"       # answered, not asked
    df = pd.DataFrame(cells)
    report = check_responses(inst, df)
    expected = {(asked[0] + 2, "integration_mode", "required-missing"),
                (asked[1] + 2, "integration_mode", "code-out-of-range"),
                (asked[2] + 2, "integration_mode", "unknown-label"),
                (not_asked[0] + 2, "integration_mode", "not-asked")}
    assert schema_set(report) == expected
    role = cells.loc[not_asked[0], "role"]
    msg = report.problems.loc[report.problems["rule"] == "not-asked", "message"].item()
    assert msg == f"answered, but the question is asked only when role is one of 2, 3 (here role is {role})"


def test_consent_blank_and_declined_rows_are_not_asked_for_answers(inst):
    df = simulate(inst, 40, seed=6).responses
    df["consent"] = df["consent"].astype("Int64")
    df.loc[1, "consent"] = 0
    df.loc[2, "consent"] = pd.NA
    items = [i.id for i in inst.items]
    df.loc[1, items] = pd.NA   # declined, nothing answered: no required-missing for this row
    report = check_responses(inst, df)
    assert schema_set(report) == {(3, "consent", "no-consent"), (4, "consent", "no-consent")}
    msgs = report.problems.set_index("row")["message"]
    assert msgs[3] == "consent declined (0), yet 11 questions are answered"  # 10 questions and AC1
    assert msgs[4].startswith("consent is blank")
    assert report.flags.loc[[1, 2], "flagged"].all()
    assert report.flags.loc[[1, 2], "reasons"].tolist() == ["no-consent", "no-consent"]


def test_duplicate_ids_with_different_answers(inst):
    df = simulate(inst, 20, seed=7).responses
    df.loc[5, "respondent_id"] = 3
    report = check_responses(inst, df)
    assert schema_set(report) == {(4, "respondent_id", "duplicate-id"), (7, "respondent_id", "duplicate-id")}
    assert report.problems["message"].str.contains("with different answers").sum() == 2


def test_summary_counts_every_rule(tmp_path, inst):
    ex = messy_export()
    report = check_responses(inst, read_responses(write_csv(ex, tmp_path / "x.csv"), inst))
    s = report.summary.set_index("rule")
    assert list(s.index) == list(RULES)
    assert s.loc["code-out-of-range", "count"] == 3 and s.loc["duplicate-id", "count"] == 2
    assert s.loc["duplicate-id", "rows"] == 2 and s.loc["not-asked", "count"] == 0
    assert s["count"].sum() == len(report.problems)
    assert report.has_schema_problems


def test_to_json_and_text(tmp_path, inst):
    ex = messy_export()
    report = check_responses(inst, read_responses(write_csv(ex, tmp_path / "x.csv", encoding="gbk"), inst))
    out = tmp_path / "report.json"
    text = report.to_json(out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data == json.loads(text)
    assert len(data["problems"]) == len(report.problems)
    assert {(p["row"], p["column"], p["rule"]) for p in data["problems"] if p["kind"] == "schema"} == ex.expected
    assert len(data["flagged"]) == int(report.flags["flagged"].sum())
    assert "很同意" in out.read_text(encoding="utf-8")  # UTF-8, not escaped
    summary = report.text()
    assert "Schema: 18 problems on 17 rows (--strict fails)" in summary
    assert "gb18030" in summary and "header in row 1" in summary
    assert "row 5 id 4 IC2: code-out-of-range: 7 is not a code of agree5 (codes 1-5)" in summary
    assert repr(report).startswith("CheckReport('ri_asset 1.0.0', rows=")


def test_a_frame_without_the_id_column(inst):
    df = simulate(inst, 20, seed=8).responses.drop(columns=["respondent_id"])
    report = check_responses(inst, df)
    assert schema_set(report) == {(1, "respondent_id", "missing-column")}
    assert report.problems["respondent_id"].isna().all()


def test_duplicate_column_names_in_a_frame(inst):
    df = simulate(inst, 10, seed=9).responses
    df = pd.concat([df, df[["IC1"]]], axis=1)
    report = check_responses(inst, df)
    assert schema_set(report) == {(1, "IC1", "duplicate-column")}


def test_bad_arguments(inst):
    df = simulate(inst, 10, seed=1).responses
    with pytest.raises(ValueError, match="'df' parameter of check_responses must be a pandas DataFrame. Got list"):
        check_responses(inst, [1, 2])
    with pytest.raises(ValueError, match="'thresholds' parameter of check_responses must have keys from"):
        check_responses(inst, df, thresholds={"speed": 0.3})
    with pytest.raises(ValueError, match="'speed_ratio' must be a number in"):
        check_responses(inst, df, thresholds={"speed_ratio": 2})


def test_report_type(clean_report):
    assert isinstance(clean_report, CheckReport)
    assert clean_report.problems.columns.tolist() == ["row", "respondent_id", "column", "rule", "kind", "message"]
    assert np.all(np.diff(clean_report.problems["row"].to_numpy()) >= 0)
