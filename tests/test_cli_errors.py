"""The command line on hostile and mistaken input: one message per error on stderr, never a
traceback; exit 1 for problems found in the input, 2 for usage errors, 3 for a bug; each warning
once, as one line. A corpus of hostile inputs generated in tmp_path, each with its documented
outcome (govstats/cli_messages.py, `govstats --help`)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from govstats.cli import build_parser, main
from govstats.cli_messages import classify, cli_terms
from govstats.resources import seed_instrument_path

RI_ASSET = str(seed_instrument_path("ri_asset"))


def _continuous(n: int = 200, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    cols = {f"x{k}": f[:, 0] + 0.7 * rng.normal(size=n) for k in (1, 2, 3)}
    cols |= {f"y{k}": f[:, 1] + 0.7 * rng.normal(size=n) for k in (1, 2, 3)}
    return pd.DataFrame(cols)


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "Traceback" not in out.out
    return code, out


@pytest.fixture
def files(tmp_path):
    """The hostile corpus: model files and data files a newcomer or an adversary would give."""
    data = _continuous()
    paths = {"data": tmp_path / "data.csv"}
    data.to_csv(paths["data"], index=False)
    inf = data.copy()
    inf.loc[4, "y2"] = np.inf
    inf.to_csv(paths.setdefault("inf", tmp_path / "inf.csv"), index=False)
    data.assign(c=1).to_csv(paths.setdefault("one_cluster", tmp_path / "one_cluster.csv"), index=False)
    ordinal = data.apply(lambda c: np.clip(np.round(c + 3), 1, 5)).astype(int)
    ordinal.head(5).to_csv(paths.setdefault("few", tmp_path / "few.csv"), index=False)
    models = {
        "ok": "F =~ x1 + x2 + x3\nG =~ y1 + y2 + y3\n",
        "comments": "# a model file that lost its model\n! and a lavaan-style comment\n",
        "empty": "",
        "huge": "F =~ 1e400*x1 + x2 + x3\n",
        "shadow": "F =~ x1 + x2 + x3\nx1 =~ y1 + y2 + y3\n",
        "unknown": "F =~ x1 + x2 + zz\n",
        "fullwidth_plus": "F =~ x1 ＋ x2 ＋ x3\n",
        "fullwidth_op": "F ＝～ x1 + x2 + x3\n",
        "no_operator": "F x1 x2 x3\n",
        "bad_term": "F =~ x1 + 2x + x3\n",
        "binary": "\x00\x01\x02 =~ \x03\n",
        "level": "level: 1\nF =~ x1 + x2 + x3\n",
    }
    for name, text in models.items():
        paths[name] = tmp_path / f"{name}.lav"
        paths[name].write_text(text, encoding="utf-8")
    return paths


# (model, data, extra options, exit code, words the message must hold)
FIT_CASES = [
    ("comments", "data", [], 1, "no lavaan syntax (no operators found)"),
    ("empty", "data", [], 1, "model syntax is empty"),
    ("huge", "data", [], 1, "line 1: the fixed value '1e400' is not a finite number"),
    ("shadow", "data", [], 1, "'x1' (line 2) are also columns of the data"),
    ("unknown", "data", [], 1, "no column(s) ['zz']"),
    ("fullwidth_plus", "data", [], 1, "'＋' (write '+')"),
    ("fullwidth_op", "data", [], 1, "'F =~ x1 + x2 + x3'"),
    ("no_operator", "data", [], 1, "line 1: no operator"),
    ("bad_term", "data", [], 1, "'2x' is not a variable name"),
    ("binary", "data", [], 1, "line 1"),
    ("level", "data", [], 1, "two-level models"),
    ("ok", "inf", [], 1, "Column 'y2' has an infinite value (inf) in row 4"),
    ("ok", "one_cluster", ["--cluster", "c"], 1, "has 1 cluster"),
    ("ok", "few", ["--ordered", "all"], 1, "Only 5 respondents for 6 ordered items"),
    ("ok", "data", ["--cluster", "nope"], 2, "--cluster names column 'nope'"),
    ("ok", "data", ["--estimator", "WLSMV"], 2, "--ordered all"),
    ("ok", "data", ["--estimator", "BAYES"], 2, "invalid choice"),
    ("ok", "missing_file", [], 2, "does not exist"),
]


@pytest.mark.parametrize(("model", "data", "extra", "code", "words"), FIT_CASES,
                         ids=[f"{m}-{d}-{'_'.join(e) or 'default'}" for m, d, e, _, _ in FIT_CASES])
def test_fit_on_hostile_input_says_what_and_where_without_traceback(files, tmp_path, capsys, model, data, extra,
                                                                     code, words):
    data_path = files.get(data, tmp_path / "no_such.csv")
    if "invalid choice" in words:  # argparse refuses it: usage on stderr, exit 2
        with pytest.raises(SystemExit) as info:
            main(["fit", str(files[model]), str(data_path), *extra])
        assert info.value.code == 2 and words in capsys.readouterr().err
        return
    got, out = _run(["fit", files[model], data_path, *extra], capsys)
    assert got == code, out.err
    assert words in out.err
    assert out.err.startswith("govstats: ") and out.err.count("\n") == 1  # one message, one line
    if code == 1:  # the file with the problem is named: the model file, or the data file
        assert str(files[model]) in out.err or str(data_path) in out.err


def test_messages_name_options_not_python_parameters():
    parser = build_parser()
    fit_parser = parser._subparsers._group_actions[0].choices["fit"]
    text = cli_terms("The 'cluster' parameter of fit names column 'x', which the data do not have.", fit_parser)
    assert text == "The option --cluster names column 'x', which the data do not have."
    text = cli_terms("With ordered items the estimator must be one of 'WLSMV' (got 'ML'); leave out 'ordered'.",
                     fit_parser)
    assert text.endswith("leave out --ordered.")
    efa_parser = parser._subparsers._group_actions[0].choices["efa"]
    assert cli_terms("The 'data' parameter of efa must have 3 items.", efa_parser) == "DATA must have 3 items."


@pytest.mark.parametrize(("exc", "code"), [
    (FileNotFoundError(2, "No such file", "x.csv"), 2),
    (IsADirectoryError(21, "Is a directory", "d"), 2),
    (PermissionError(13, "Permission denied", "p"), 2),
    (ValueError("bad option"), 2),
    (UnicodeDecodeError("gb18030", b"\x95", 0, 1, "illegal multibyte sequence"), 1),
    (MemoryError(), 1),
    (RecursionError("maximum recursion depth exceeded"), 1),
    (np.linalg.LinAlgError("Singular matrix"), 1),
    (ZeroDivisionError("division by zero"), 3),
])
def test_every_exception_has_an_exit_code_and_a_message(exc, code):
    got, text = classify(exc)
    assert got == code and text
    if code == 3:
        assert "bug in govstats" in text and "GOVSTATS_DEBUG" in text


def test_a_missing_folder_is_named(tmp_path):
    code, text = classify(FileNotFoundError(2, "No such file or directory", str(tmp_path / "no" / "f.xlsx")))
    assert code == 2 and text.startswith(f"the folder {tmp_path / 'no'} does not exist")


def test_singular_matrices_are_explained_not_passed_through(tmp_path, capsys):
    data = _continuous(3)  # 3 respondents for 6 items
    data.to_csv(tmp_path / "three.csv", index=False)
    (tmp_path / "m.lav").write_text("F =~ x1 + x2 + x3\n", encoding="utf-8")
    code, text = classify(np.linalg.LinAlgError("Singular matrix"))
    assert code == 1 and "too few respondents for the number of items" in text


def test_a_folder_given_as_data_is_named(files, tmp_path, capsys):
    code, out = _run(["fit", files["ok"], tmp_path], capsys)
    assert code == 2 and "is a folder, not a file" in out.err


def test_export_of_text_in_a_numeric_column_names_the_file_rows(tmp_path, capsys):
    from govstats import load_instrument, simulate

    data = simulate(load_instrument(RI_ASSET), 10, seed=1).responses
    data["IC1"] = data["IC1"].astype(object)
    data.loc[3, "IC1"] = "很好"
    data.to_csv(tmp_path / "r.csv", index=False)
    code, out = _run(["export", tmp_path / "r.csv", "--instrument", RI_ASSET, "-o", tmp_path / "r.sav"], capsys)
    assert code == 1 and "Column 'IC1' must hold numbers" in out.err and "at rows of the file [5]" in out.err


def test_a_bug_is_reported_without_a_traceback(monkeypatch, capsys):
    import govstats.cli as cli

    def broken(args):
        raise KeyError("internal")

    monkeypatch.setattr(cli, "cmd_instrument_show", broken)
    code, out = _run(["instrument", "show", RI_ASSET], capsys)
    assert code == 3 and "internal error (KeyError" in out.err


def test_warnings_print_once_as_one_line_without_source(tmp_path):
    # A Heywood case: the summary lists it under "Warnings:", stderr must not repeat it with a file and line.
    data = _continuous(60, seed=5)
    data["x3"] = data["x1"] + 0.01 * np.random.default_rng(0).normal(size=60)
    data.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text("F =~ x1 + x2 + x3\nG =~ y1 + y2 + y3\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "govstats", "fit", str(tmp_path / "m.lav"), str(tmp_path / "d.csv")],
                          capture_output=True, text=True, encoding="utf-8")
    assert "Traceback" not in proc.stderr
    assert ".py:" not in proc.stderr  # no "file.py:123: SomeWarning" lines
    lines = [line for line in proc.stderr.splitlines() if line]
    assert all(line.startswith("warning: ") for line in lines)
    assert len(lines) == len(set(lines))


def test_warning_printer_shows_each_text_once(capsys):
    from govstats.cli_messages import WarningPrinter
    from govstats.errors import HeywoodWarning

    with warnings.catch_warnings():
        WarningPrinter().install()
        for _ in range(3):
            warnings.warn("fit: negative variance   estimate\n for x3", HeywoodWarning)
        warnings.warn("another", UserWarning)
    err = capsys.readouterr().err
    assert err == "warning: fit: negative variance estimate for x3\nwarning: another\n"


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "exit status:" in out and "1  problems found" in out and "2  usage error" in out


def test_reliability_prints_the_item_statistics(capsys):
    from govstats.resources import instruments_dir

    data = instruments_dir().parent / "data" / "synthetic" / "ri_asset.csv"
    code, out = _run(["reliability", RI_ASSET, data], capsys)
    assert code == 0
    assert "Table. Item statistics" in out.out and "Corrected r" in out.out and "Alpha if deleted" in out.out
    row = next(line for line in out.out.splitlines() if line.startswith("IC1 "))
    assert len(row.split()) == 5  # item, construct, item-total r, corrected r, alpha if deleted


def test_scores_csv_has_six_decimals(tmp_path, capsys):
    from govstats.resources import instruments_dir

    data = instruments_dir().parent / "data" / "synthetic" / "ri_asset.csv"
    code, _ = _run(["score", RI_ASSET, data, "-o", tmp_path / "s.csv"], capsys)
    assert code == 0
    text = (tmp_path / "s.csv").read_text(encoding="utf-8")
    decimals = [len(cell.split(".")[1]) for line in text.splitlines()[1:] for cell in line.split(",")
                if cell.replace(".", "", 1).replace("-", "", 1).isdigit() and "." in cell]
    assert decimals and max(decimals) <= 6 and max(decimals) == 6


def test_demo_out_naming_a_file_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "exists.txt"
    target.write_text("keep me", encoding="utf-8")
    code, out = _run(["demo", "--out", target], capsys)
    assert code == 2 and f"{target} already exists" in out.err
    assert target.read_text(encoding="utf-8") == "keep me" and out.out == ""


@pytest.mark.slow
def test_demo_leaves_no_temporary_folder(tmp_path):
    env = {**__import__("os").environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "govstats", "demo", "--estimator", "ML"], capture_output=True,
                          text=True, encoding="utf-8", env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "removed again" in proc.stdout
    assert list(tmp_path.iterdir()) == []
