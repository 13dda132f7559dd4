"""How every command reads its model and data files: one set of options, one reader.

Each command that takes an instrument and a data file (``check``, ``score``, ``export``,
``efa``, ``reliability``, ``fit``, ``effects`` and those still to come) adds the options of
:func:`add_read_arguments` and reads with :func:`read_data`, so that all of them read the same
files the same way: encodings (UTF-8, GBK), CSV/XLSX/XLS/SAV, label text to codes, KoboToolbox
and Wenjuanxing exports (:func:`govstats.read_responses`). A command given lavaan-style
syntax instead of an instrument reads the file as a plain table (:func:`read_table`).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_read_arguments(parser: argparse.ArgumentParser) -> None:
    """``--encoding``, ``--source`` and ``--mapping``: how the data file is read."""
    parser.add_argument("--encoding", metavar="ENC", help="text encoding of a CSV file (default: detected)")
    parser.add_argument("--source", choices=("auto", "wenjuanxing", "generic"), default="auto",
                        help="what made the file: a Wenjuanxing (问卷星) export, by option text or number; or "
                             "columns named by the instrument's ids or question texts (KoboToolbox, ODK, any "
                             "table); default: recognized from the columns")
    parser.add_argument("--mapping", metavar="FILE",
                        help="Wenjuanxing headers mapped by hand to column ids (.yaml 'header: id' or .csv "
                             "'header,column'), where the matching by wording is wrong or finds nothing")


def load_model(path: str):
    """An Instrument for a ``.yaml``/``.yml`` file, else the text of a lavaan-style model file."""
    model_path = Path(path)
    if not model_path.is_file():
        what = "is a folder, not a file" if model_path.is_dir() else "does not exist"
        raise FileNotFoundError(f"model file {path!r} {what}")
    if model_path.suffix.lower() in (".yaml", ".yml"):
        from govstats.instrument import load_instrument  # only for instruments: it costs start-up time

        return load_instrument(model_path)
    return model_path.read_text(encoding="utf-8-sig")


def read_data(args: argparse.Namespace, model, path: str | None = None):
    """The data file of a command, read for ``model`` (an Instrument, or syntax text).

    With an instrument: :func:`govstats.read_responses` with the command's ``--encoding``,
    ``--source`` and ``--mapping``. With syntax: the file as a table, values as written.
    """
    path = path if path is not None else args.data
    encoding = getattr(args, "encoding", None)
    if isinstance(model, str):
        from govstats.data.read import read_table

        if not Path(path).is_file():
            what = "is a folder, not a file" if Path(path).is_dir() else "does not exist"
            raise FileNotFoundError(f"data file {path!r} {what}")

        return read_table(path, encoding=encoding)
    from govstats.data.read import read_responses

    return read_responses(path, model, encoding=encoding, source=getattr(args, "source", "auto") or "auto",
                          mapping=getattr(args, "mapping", None))
