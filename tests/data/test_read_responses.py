"""read_responses: encodings, separators, XLSX, SPSS, KoboToolbox headers, labels, and garbage files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from responses_support import SYNTHETIC, clean_cells, messy_export, write_csv, write_sav, write_xlsx

from govstats import ResponsesError, load_instrument, read_responses, simulate
from govstats.resources import seed_instrument_path


@pytest.fixture(scope="module")
def inst():
    return load_instrument(seed_instrument_path("ri_asset"))


def test_clean_committed_file_reads_as_simulate_made_it(inst):
    df = read_responses(SYNTHETIC / "ri_asset.csv", inst)
    sim = simulate(inst, 600, seed=20261121).responses
    assert list(df.columns) == list(sim.columns)
    assert df.index.name == "row" and df.index[0] == 2 and df.index[-1] == 601
    for c in inst.columns()[3:]:
        a = df[c].astype(object).where(df[c].notna(), None).tolist()
        b = sim[c].astype(object).where(sim[c].notna(), None).tolist()
        assert [str(x) for x in a] == [str(x) for x in b], c
    # ids are text exactly as written (leading zeros, 18-digit ids survive)
    assert str(df["IC1"].dtype) == "Int64" and str(df["respondent_id"].dtype) == "str"
    # times keep their UTC offset; the durations are those simulate made
    seconds = (df["end_time"] - df["start_time"]).dt.total_seconds().to_numpy()
    assert np.array_equal(seconds, (sim["end_time"] - sim["start_time"]).dt.total_seconds().to_numpy())
    assert df.attrs["govstats_read"]["encoding"] == "utf-8" and df.attrs["govstats_read"]["renamed"] == {}


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16")])
def test_encodings_are_detected(tmp_path, inst, encoding, expected):
    ex = messy_export()
    path = write_csv(ex, tmp_path / "x.csv", encoding=encoding)
    df = read_responses(path, inst)
    assert df.attrs["govstats_read"]["encoding"] == expected
    assert df.columns[0] == "respondent_id"  # no BOM left in the first name
    assert df.loc[4, "interviewer_note"] == "家里有客人"
    assert df.loc[8, "GR1"] == "很同意"  # kept as written, for the check to report


def test_given_encoding_is_used_and_a_wrong_one_is_a_clear_error(tmp_path, inst):
    path = write_csv(messy_export(), tmp_path / "x.csv", encoding="gbk")
    assert read_responses(path, inst, encoding="gbk").loc[4, "interviewer_note"] == "家里有客人"
    with pytest.raises(ResponsesError, match="not valid utf-8 text"):
        read_responses(path, inst, encoding="utf-8")
    with pytest.raises(ValueError, match="'encoding' parameter of read_responses .* Got 'klingon'"):
        read_responses(path, inst, encoding="klingon")


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_separators(tmp_path, inst, sep):
    df = read_responses(write_csv(messy_export(), tmp_path / "x.csv", sep=sep), inst)
    assert df.attrs["govstats_read"]["separator"] == sep
    assert df.shape == (len(messy_export().records), len(messy_export().header))


def test_labels_in_either_language_become_codes_and_are_recorded(tmp_path, inst):
    ex = messy_export()
    df = read_responses(write_csv(ex, tmp_path / "x.csv"), inst)
    for (row, column), code in ex.mapped.items():
        assert df.loc[row, column] == code, (row, column)
    assert str(df["PS1"].dtype) == "Int64" and str(df["role"].dtype) == "object"  # role keeps '居委会'
    labels = df.attrs["govstats_read"]["labels"]
    assert labels["PS1"] == {"比较同意": [4, 1]}
    assert labels["SM1"] == {"Strongly agree": [5, 1]}
    assert labels["role"] == {"社区居民": [1, 1]}


def test_full_width_and_case_do_not_matter_for_labels(tmp_path, inst):
    cells = clean_cells().head(3)
    cells.loc[0, "IC1"], cells.loc[1, "IC1"], cells.loc[2, "IC1"] = "ＡＧＲＥＥ", " strongly  DISAGREE", "一般"
    path = tmp_path / "x.csv"
    cells.to_csv(path, index=False)
    assert read_responses(path, inst)["IC1"].tolist() == [4, 1, 3]


@pytest.mark.parametrize("separator", ["/", "-"])
def test_kobo_group_prefixes_are_dropped_and_recorded(tmp_path, inst, separator):
    ex = messy_export(kobo=separator)
    df = read_responses(write_csv(ex, tmp_path / "kobo.csv", sep=";"), inst)
    assert "IC1" in df.columns and "RIE5" in df.columns and f"grp_IC{separator}IC1" not in df.columns
    renamed = df.attrs["govstats_read"]["renamed"]
    assert renamed[f"grp_IC{separator}IC1"] == "IC1" and len(renamed) == 40  # 41 items less the dropped OC3
    assert "_uuid" in df.columns  # KoboToolbox's own columns are kept
    assert df.loc[6, "PS1"] == 4


def test_question_text_as_header_is_matched_to_its_id(tmp_path, inst):
    cells = clean_cells().head(4)
    item = inst.item("IC2")
    cells = cells.rename(columns={"IC2": f"资源整合/{item.text.zh}", "age": inst.question("age").text.en})
    path = tmp_path / "labels.csv"
    cells.to_csv(path, index=False, encoding="utf-8-sig")
    df = read_responses(path, inst)
    assert "IC2" in df.columns and "age" in df.columns
    assert df["IC2"].tolist() == [int(v) for v in clean_cells().head(4)["IC2"]]


def test_duplicate_names_are_kept_under_a_new_name_and_reported(tmp_path, inst):
    text = "respondent_id,consent,IC1,IC1\n1,1,4,5\n2,1,3,2\n"
    path = tmp_path / "dup.csv"
    path.write_text(text, encoding="utf-8")
    df = read_responses(path, inst)
    assert list(df.columns) == ["respondent_id", "consent", "IC1", "IC1__4"]
    assert df["IC1__4"].tolist() == ["5", "2"]  # nothing dropped
    (problem,) = df.attrs["govstats_read"]["problems"]
    assert problem["rule"] == "duplicate-column" and problem["row"] == 1 and problem["column"] == "IC1"


def test_ragged_rows_keep_every_cell(tmp_path, inst):
    path = tmp_path / "ragged.csv"
    path.write_text("respondent_id,consent,IC1\n1,1,4\n2,1,3,oops\n", encoding="utf-8")
    df = read_responses(path, inst)
    assert df.shape == (2, 4) and df.iloc[1, 3] == "oops" and df.columns[3] == "unnamed_4"


@pytest.mark.parametrize("rows", ["1,1,4,extra\n2,1,3\n", "1,1,4,x\n2,1,3,y\n"])
def test_a_wider_first_row_keeps_its_cells(tmp_path, inst, rows):
    """pandas' C parser drops the extra cells of a first data row wider than the header with only
    a ParserWarning; the reader keeps them."""
    path = tmp_path / "wide.csv"
    path.write_text("respondent_id,consent,IC1\n" + rows, encoding="utf-8")
    df = read_responses(path, inst)
    assert df.shape == (2, 4) and df.columns[3] == "unnamed_4"
    assert df.iloc[0, 3] in ("extra", "x")


def test_blank_rows_are_kept_with_their_file_rows(tmp_path, inst):
    path = tmp_path / "blank.csv"
    path.write_text("respondent_id,consent,IC1\n1,1,4\n\n,,\n2,1,3\n", encoding="utf-8")
    df = read_responses(path, inst)
    assert df.index.tolist() == [2, 3, 4, 5]
    assert df["respondent_id"].isna().tolist() == [False, True, True, False]


def test_missing_markers_and_text_columns(tmp_path, inst):
    path = tmp_path / "na.csv"
    path.write_text("respondent_id,consent,IC1,community_id\n1,1,NA,NA\n2,1,N/A,C01\n", encoding="utf-8")
    df = read_responses(path, inst)
    assert df["IC1"].isna().all() and str(df["IC1"].dtype) == "Int64"
    assert df["community_id"].tolist() == ["NA", "C01"]  # free text is never reinterpreted


def test_xlsx(tmp_path, inst):
    ex = messy_export()
    df = read_responses(write_xlsx(ex, tmp_path / "export.xlsx"), inst)
    info = df.attrs["govstats_read"]
    assert info["format"] == "xlsx" and info["sheet"] == "responses"
    assert df.index[0] == 2 and df.index[-1] == len(ex.records) + 1
    for (row, column), code in ex.mapped.items():
        assert df.loc[row, column] == code
    assert df.loc[4, "interviewer_note"] == "家里有客人"


def test_xlsx_named_csv_is_read_as_xlsx(tmp_path, inst):
    path = write_xlsx(messy_export(), tmp_path / "export.xlsx")
    renamed = path.rename(tmp_path / "export.csv")
    assert read_responses(renamed, inst).attrs["govstats_read"]["format"] == "xlsx"


def test_sav(tmp_path, inst):
    ex = messy_export()
    df = read_responses(write_sav(ex, tmp_path / "export.sav"), inst)
    assert df.attrs["govstats_read"]["format"] == "sav"
    assert df.index[0] == 2 and len(df) == len(ex.records)
    assert df.loc[2, "IC1"] == int(ex.records[0][ex.header.index("IC1")])
    for (row, column), code in ex.mapped.items():
        assert df.loc[row, column] == code


def test_the_file_is_not_changed(tmp_path, inst):
    path = write_csv(messy_export(), tmp_path / "x.csv", encoding="gbk")
    before = path.read_bytes()
    read_responses(path, inst)
    assert path.read_bytes() == before


# -- garbage -------------------------------------------------------------------------------

GARBAGE = {
    "empty": (b"", "is empty"),
    "whitespace": (b"\n\n  \n", "is empty"),
    "binary": (bytes(range(256)) * 40, "binary file"),
    "one column": (b"respondent_id\n1\n2\n", "single column"),
    "header only": (b"respondent_id,consent,IC1\n", "header but no data rows"),
    "header and blank lines": (b"respondent_id,consent,IC1\n\n,,\n", "header but no data rows"),
    "not this instrument": (b"a,b,c\n1,2,3\n", "none of the columns of instrument 'ri_asset'"),
    "undecodable": (b"respondent_id,consent\n1,\x80\xff\x80\n", "neither UTF-8 nor GBK"),
    "old excel": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old binary Excel"),
    "broken xlsx": (b"PK\x03\x04" + b"\0" * 100, "cannot be read as an Excel workbook"),
    "broken sav": (b"$FL2" + b"\0" * 100, "cannot be read as an SPSS .sav file"),
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_gives_a_clear_error(tmp_path, inst, name):
    content, message = GARBAGE[name]
    path = tmp_path / "garbage.csv"
    path.write_bytes(content)
    with pytest.raises(ResponsesError, match=message):
        read_responses(path, inst)


def test_missing_file_and_folder(tmp_path, inst):
    with pytest.raises(FileNotFoundError, match="No such response file"):
        read_responses(tmp_path / "nope.csv", inst)
    with pytest.raises(ResponsesError, match="is a folder"):
        read_responses(tmp_path, inst)


def test_an_empty_xlsx_sheet(tmp_path, inst):
    import openpyxl

    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(ResponsesError, match=r"every sheet is empty \(.Sheet.\)"):
        read_responses(path, inst)


def test_pandas_frame_is_not_needed_for_numbers_as_text(tmp_path, inst):
    # Numbers written with decimals by some exports ("4.0") are codes; "1,5" (a decimal comma) is not guessed.
    path = tmp_path / "dec.csv"
    path.write_text('respondent_id,consent,IC1,age\n1.0,1,4.0,"1,5"\n', encoding="utf-8")
    df = read_responses(path, inst)
    assert df["respondent_id"].tolist() == ["1.0"] and df["IC1"].tolist() == [4]  # an id is kept as written
    assert df["age"].tolist() == ["1,5"]
    assert isinstance(df, pd.DataFrame)
