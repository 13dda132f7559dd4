"""Hostile and messy response files: identifiers exact, full-width digits, misnamed files, odd
workbooks, duplicate columns, an instrument given as a path; and fuzzing of the reader.

Every file is written here; each case asserts the documented outcome.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govstats import check_responses, load_instrument, read_responses, score, simulate, simulate_to_csv
from govstats.cli import main
from govstats.data.read import read_table
from govstats.errors import InstrumentError, ResponsesError
from govstats.resources import seed_instrument_path

IDS = ["001", "007", "370200000000000001", "370200000000000002", "37020019800101001X", "A-12", "0000000000"]


@pytest.fixture(scope="module")
def inst():
    return load_instrument(seed_instrument_path("ri_asset"))


def _responses(inst, ids) -> pd.DataFrame:
    df = simulate(inst, len(ids), seed=1).responses.astype({"respondent_id": object})
    df["respondent_id"] = ids
    return df


def _id_bytes(path, encoding="utf-8") -> list[bytes]:
    lines = open(path, "rb").read().decode(encoding).splitlines()[1:]
    return [line.split(",")[0 if "row" not in lines[0] else 1].encode() for line in lines]


# -- identifiers -----------------------------------------------------------------------------

def test_ids_survive_csv_read_check_score_byte_for_byte(tmp_path, inst):
    path = tmp_path / "r.csv"
    _responses(inst, IDS).to_csv(path, index=False)
    df = read_responses(path, inst)
    assert df["respondent_id"].tolist() == IDS
    report = check_responses(inst, df)
    assert "duplicate-id" not in set(report.problems["rule"])  # 18-digit ids are not merged by rounding
    assert report.flags["respondent_id"].tolist() == IDS
    out = tmp_path / "scores.csv"
    score(inst, df).to_csv(out, index=False)
    written = [line.split(",")[1] for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert written == IDS


def test_ids_that_differ_only_in_the_last_digits_are_not_duplicates(tmp_path, inst):
    ids = [str(370200000000000000 + k) for k in range(1, 31)]  # all equal as float64
    path = tmp_path / "r.csv"
    _responses(inst, ids).to_csv(path, index=False)
    report = check_responses(inst, read_responses(path, inst))
    assert "duplicate-id" not in set(report.problems["rule"])
    assert float(ids[0]) == float(ids[1])  # what a float column would have done


def test_ids_survive_xlsx_text_cells(tmp_path, inst):
    import openpyxl

    df = _responses(inst, IDS)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(df.columns))
    for row in df.astype(object).where(df.notna(), None).itertuples(index=False):
        sheet.append([v if not isinstance(v, pd.Timestamp) else v.isoformat() for v in row])
    path = tmp_path / "r.xlsx"
    book.save(path)
    assert read_responses(path, inst)["respondent_id"].tolist() == IDS


def test_ids_survive_sav_string_variables_and_export(tmp_path, inst):
    pyreadstat = pytest.importorskip("pyreadstat")
    from govstats import export_responses

    csv = tmp_path / "r.csv"
    _responses(inst, IDS).to_csv(csv, index=False)
    sav = export_responses(csv, inst, tmp_path / "r.sav", format="sav")
    frame, _ = pyreadstat.read_sav(str(sav))
    assert frame["respondent_id"].tolist() == IDS  # exported as text, exactly
    assert read_responses(sav, inst)["respondent_id"].tolist() == IDS


def test_numeric_sav_ids_read_without_a_decimal_point(tmp_path, inst):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = simulate(inst, 5, seed=2).responses
    out = pd.DataFrame({"respondent_id": [1.0, 2.0, 3.0, 4.0, 5.0], "consent": 1.0,
                        **{i.id: df[i.id].astype(float) for i in inst.items}})
    pyreadstat.write_sav(out, str(tmp_path / "n.sav"))
    assert read_responses(tmp_path / "n.sav", inst)["respondent_id"].tolist() == ["1", "2", "3", "4", "5"]


def test_simulated_ids_round_trip_through_read_and_score(tmp_path, inst):
    path = tmp_path / "sim.csv"
    simulate_to_csv(inst, 50, path, seed=4)
    original = [line.split(",")[0] for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    out = tmp_path / "scores.csv"
    assert main(["score", str(inst.source), str(path), "-o", str(out)]) == 0
    assert [line.split(",")[1] for line in out.read_text(encoding="utf-8").splitlines()[1:]] == original


# -- cells and columns -----------------------------------------------------------------------

def test_full_width_digits_are_read_as_numbers_and_recorded(tmp_path, inst):
    df = simulate(inst, 20, seed=3).responses.astype(object)
    df.loc[0, "IC1"] = "３"
    df.loc[1, "IC1"] = "４"
    df.loc[2, "IC2"] = "４．５"   # full-width 4.5: a number, off the scale, reported as such
    path = tmp_path / "fw.csv"
    df.to_csv(path, index=False)
    read = read_responses(path, inst)
    assert read["IC1"].iloc[:2].tolist() == [3, 4]
    assert read.attrs["govstats_read"]["full_width"] == {"IC1": {"３": [3, 1], "４": [4, 1]},
                                                         "IC2": {"４．５": [4.5, 1]}}
    report = check_responses(inst, read)
    assert any("full-width digits read as numbers in IC1" in n for n in report.notes)
    p = report.problems
    assert p.loc[(p["column"] == "IC2") & (p["rule"] == "code-out-of-range"), "row"].tolist() == [4]


def test_full_width_digits_in_a_frame_not_read_are_located_problems(inst):
    df = simulate(inst, 20, seed=3).responses.astype(object)
    df.loc[0, "IC1"] = "３"
    p = check_responses(inst, df).problems
    hit = p[(p["column"] == "IC1") & (p["row"] == 2)]
    assert hit["rule"].tolist() == ["unknown-label"]


def test_instrument_given_as_a_path(tmp_path, inst):
    path = tmp_path / "r.csv"
    simulate(inst, 10, seed=1).responses.to_csv(path, index=False)
    assert len(read_responses(path, str(seed_instrument_path("ri_asset")))) == 10
    assert len(read_responses(path, seed_instrument_path("ri_asset"))) == 10
    with pytest.raises(ValueError, match="'instrument' parameter of read_responses"):
        read_responses(path, 42)
    with pytest.raises(ValueError, match="'instrument' parameter of read_responses"):
        read_responses(path, "not an instrument")
    with pytest.raises(InstrumentError):
        read_responses(path, tmp_path / "missing.yaml")


def test_duplicate_column_names_are_located_not_a_pandas_error(tmp_path, inst):
    df = simulate(inst, 30, seed=1).responses
    text = df.to_csv(index=False).splitlines()
    text = [line + "," + line.split(",")[4] for line in text]  # column 5 (IC1?) again at the end
    path = tmp_path / "dup.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    read = read_responses(path, inst)
    name = df.columns[4]
    p = check_responses(inst, read).problems
    dup = p[p["rule"] == "duplicate-column"]
    assert dup["column"].tolist() == [name] and dup["row"].tolist() == [1]
    from govstats import efa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = efa(read, instrument=inst)  # the copy is renamed, not analysed
    assert name + f"__{len(df.columns) + 1}" not in res.loadings.index


# -- files -----------------------------------------------------------------------------------

def _workbook(path, sheets: dict) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


def _rows(df: pd.DataFrame) -> list:
    body = df.astype(object).where(df.notna(), None)
    return [list(df.columns)] + [[v.isoformat() if isinstance(v, pd.Timestamp) else v for v in r]
                                 for r in body.itertuples(index=False)]


@pytest.mark.parametrize("first", [[], [["问卷说明 (survey notes)"], ["填写日期", "2026-05-01"]]])
def test_xlsx_with_the_data_on_the_second_sheet(tmp_path, inst, first):
    df = simulate(inst, 15, seed=5).responses
    path = tmp_path / "two.xlsx"
    _workbook(path, {"说明": first, "数据": _rows(df)})
    read = read_responses(path, inst)
    assert len(read) == 15 and read.attrs["govstats_read"]["sheet"] == "数据"
    assert any("sheet '数据'" in n for n in check_responses(inst, read).notes)
    table = read_table(path)  # without an instrument: the first sheet with data
    assert len(table) == (15 if not first else 1)


def test_xlsx_with_every_sheet_empty_names_them(tmp_path, inst):
    path = tmp_path / "empty.xlsx"
    _workbook(path, {"Sheet1": [], "Sheet2": []})
    with pytest.raises(ResponsesError, match=r"every sheet is empty \('Sheet1', 'Sheet2'\)"):
        read_responses(path, inst)


@pytest.mark.parametrize("kind", ["xlsx", "sav"])
def test_misnamed_files_are_read_by_content(tmp_path, inst, kind):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = simulate(inst, 40, seed=6).responses
    items = [i.id for i in inst.items]
    real = tmp_path / f"real.{kind}"
    if kind == "xlsx":
        _workbook(real, {"r": _rows(df[["respondent_id", "consent"] + items])})
    else:
        pyreadstat.write_sav(df[["respondent_id", "consent"] + items].astype(float), str(real))
    misnamed = tmp_path / "responses.csv"
    misnamed.write_bytes(real.read_bytes())
    assert len(read_responses(misnamed, inst)) == 40
    table = read_table(misnamed)  # the reader of lavaan-style analyses: no 'gb18030 codec' error
    assert table.shape == (40, 2 + len(items)) and pd.api.types.is_numeric_dtype(table["IC1"])
    model = tmp_path / "m.txt"
    model.write_text("IC =~ IC1 + IC2 + IC3 + IC4\n", encoding="utf-8")
    assert main(["fit", str(model), str(misnamed)]) == 0


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04not really a zip", "cannot be read as an Excel workbook"),
    (b"$FL2garbage" * 10, "cannot be read as an SPSS .sav file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old binary Excel"),
    (b"\x00\x01\x02binary", "binary file"),
    (b"respondent_id,consent\n\xff\xff,1\n", "neither UTF-8 nor GBK"),
])
def test_unreadable_files_are_responses_errors_naming_the_file(tmp_path, inst, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ResponsesError, match=message) as info:
        read_responses(path, inst)
    assert str(path) in str(info.value)


# -- fuzzing ---------------------------------------------------------------------------------

CELLS = st.one_of(
    st.sampled_from(["", "1", "3", "5", "9", "99", "-9", "4.5", "3.0000000001", "inf", "-inf", "nan", "NA",
                     "３", "４．５", "比较同意", "Strongly agree", "007", "370200000000000001", "1e308", "1e309",
                     "\"", "'", ";", "\t", "=1+1", "\u200b", "\ufeff"]),
    st.text(max_size=6), st.integers(-10**20, 10**20).map(str), st.floats().map(str))


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_csv_reads_or_is_a_responses_error(tmp_path_factory, inst, data):
    header = ["respondent_id", "consent"] + data.draw(
        st.lists(st.sampled_from(["IC1", "IC2", "PS1", "AC1", "age", "start_time", "IC1", "grp/IC3", "x"]),
                 min_size=0, max_size=6), label="columns")
    rows = data.draw(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header) + 1), max_size=6),
                     label="rows")
    sep = data.draw(st.sampled_from([",", ";", "\t"]), label="sep")
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]), label="encoding")
    quote = lambda v: '"' + v.replace('"', '""') + '"' if any(c in v for c in ',;\t"\n\r') else v  # noqa: E731
    text = "\n".join(sep.join(quote(v) for v in r) for r in [header] + rows) + "\n"
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        return
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(raw)
    try:
        df = read_responses(path, inst)
    except ResponsesError:
        return
    assert df.index.name == "row"
    # no filled cell of a row wider than the header is dropped (an empty trailing cell holds nothing)
    filled = [max([k + 1 for k, v in enumerate(r) if v.strip()], default=0) for r in rows]
    assert df.shape[1] >= max([len(header)] + filled)
    ids = df["respondent_id"].dropna()
    assert ids.map(lambda v: isinstance(v, str)).all()  # ids are text, whatever the cells hold
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = check_responses(inst, df)  # never raises on what the reader returns
        score(inst, df)
    assert len(report.flags) == len(df)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300), prefix=st.sampled_from([b"", b"PK\x03\x04", b"$FL2", b"\xef\xbb\xbf"]))
def test_fuzzed_bytes_read_or_are_a_responses_error(tmp_path_factory, inst, raw, prefix):
    path = tmp_path_factory.mktemp("bytes") / "f.csv"
    path.write_bytes(prefix + raw)
    # either read, or a ResponsesError; anything else (a UnicodeDecodeError, a pandas error) fails the test
    with contextlib.suppress(ResponsesError):
        read_responses(path, inst)
    with contextlib.suppress(ResponsesError):
        read_table(path)


def test_values_the_instrument_calls_invalid_are_never_numbers_of_the_scale(tmp_path, inst):
    # A small deterministic companion of the fuzzing: each hostile cell ends up as the number it
    # is (checked against the scale later) or as text, never as a different code.
    cells = {"4.5": 4.5, "3.0000000001": 3.0000000001, "99": 99, "-9": -9, "inf": None, "1e309": None}
    df = simulate(inst, len(cells), seed=9).responses.astype(object)
    df["IC1"] = list(cells)
    path = tmp_path / "h.csv"
    df.to_csv(path, index=False)
    read = read_responses(path, inst)
    for got, (text, expected) in zip(read["IC1"].tolist(), cells.items()):
        if expected is None:
            assert isinstance(got, str) or (isinstance(got, float) and not np.isfinite(got)), (text, got)
        else:
            assert float(got) == expected, (text, got)
    rules = check_responses(inst, read).problems.query("column == 'IC1'")["rule"].tolist()
    assert len(rules) == len(cells)


@pytest.mark.parametrize("text, expected", [
    # pandas would take the first column as an index and shift the others by one
    ("a,b\n1,2,3\n4,5,6\n", {"a": [1, 4], "b": [2, 5], "unnamed_3": [3, 6]}),
    ("a,b\n1,2\n4,5,6\n", {"a": [1, 4], "b": [2, 5], "unnamed_3": [None, 6]}),
    ("a,b\n1,2\n4,5\n", {"a": [1, 4], "b": [2, 5]}),
])
def test_a_plain_table_keeps_every_cell_in_its_column(tmp_path, text, expected):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    frame = read_table(path)
    assert list(frame.columns) == list(expected)
    for column, values in expected.items():
        assert [None if pd.isna(v) else v for v in frame[column]] == values
