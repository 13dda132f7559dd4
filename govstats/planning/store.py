"""The replications of a power run in a Parquet file, rewritten after every batch.

Parquet files cannot be appended to in place, so each batch writes the whole table to a
temporary file beside the target and renames it over the target (atomic on one file system):
an interrupted run leaves the last complete batch, never a torn file. The file's metadata
holds the run's settings; resuming with other settings is refused, since the stored
replications would then answer another question.
"""

from __future__ import annotations

import json
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

__all__ = ["read_replications", "write_replications"]

METADATA_KEY = "govstats.power"


@contextmanager
def _quiet():
    """fastparquet reads pandas' deprecated 'future.infer_string' option, and pandas 3 warns about it
    when it is read; the warning is about fastparquet, not about the user's run."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*future.infer_string.*")
        yield


def _fastparquet():
    # fastparquet, not pyarrow: with pyarrow installed pandas 3 stores every str column in Arrow,
    # which changed the behaviour of the response readers (a take with missing indices failed in
    # tests/data/test_hostile_read.py); writing a Parquet file should not change the rest of govstats
    try:
        with _quiet():  # fastparquet/encoding.py reads the option when it is imported
            import fastparquet
    except ImportError:  # pragma: no cover - fastparquet is a dependency
        raise ImportError("Saving and resuming power runs needs fastparquet: pip install fastparquet") from None
    return fastparquet


def write_replications(path: str | Path, frame: pd.DataFrame, settings: dict) -> None:
    """Write ``frame`` with ``settings`` in the file's metadata, atomically."""
    fastparquet = _fastparquet()
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    meta = {METADATA_KEY: json.dumps(settings, sort_keys=True, ensure_ascii=False)}
    with _quiet():
        fastparquet.write(str(tmp), frame.reset_index(drop=True), custom_metadata=meta, write_index=False)
    os.replace(tmp, path)


def read_replications(path: str | Path, settings: dict) -> pd.DataFrame:
    """The replications stored in ``path`` by a run with the same ``settings`` (an empty frame when
    the file does not exist). Other settings, or a file that is not a power run, raise ValueError."""
    fastparquet = _fastparquet()
    path = Path(path)
    if not path.exists():
        return pd.DataFrame()
    try:
        with _quiet():
            stored_file = fastparquet.ParquetFile(str(path))
            raw = stored_file.key_value_metadata.get(METADATA_KEY)
            frame = stored_file.to_pandas() if raw is not None else None
    except Exception as exc:  # noqa: BLE001 - whatever the reader raises, the file is not usable
        raise ValueError(f"Cannot resume from {path}: it is not a readable Parquet file ({exc}).") from None
    if raw is None:
        raise ValueError(f"Cannot resume from {path}: it was not written by govstats power.")
    stored = json.loads(raw)
    differ = sorted(k for k in set(stored) | set(settings) if stored.get(k) != settings.get(k))
    if differ:
        shown = "; ".join(f"{k}: stored {stored.get(k)!r}, now {settings.get(k)!r}" for k in differ[:4])
        raise ValueError(f"Cannot resume from {path}: it holds a run with other settings ({shown}). Use another "
                         "file, or the settings it was run with.")
    for column in frame.columns[frame.dtypes == object]:  # text comes back as object: the default str dtype again
        frame[column] = frame[column].astype(str)
    return frame
