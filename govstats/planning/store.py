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
from pathlib import Path

import pandas as pd

__all__ = ["read_replications", "write_replications"]

METADATA_KEY = b"govstats.planning"


def _arrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise ImportError("Saving and resuming power runs needs pyarrow: pip install pyarrow") from None
    return pyarrow, pyarrow.parquet


def write_replications(path: str | Path, frame: pd.DataFrame, settings: dict) -> None:
    """Write ``frame`` with ``settings`` in the file's metadata, atomically."""
    pa, pq = _arrow()
    path = Path(path)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(settings, sort_keys=True, ensure_ascii=False).encode("utf-8")
    table = table.replace_schema_metadata(meta)
    tmp = path.with_name(path.name + ".partial")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def read_replications(path: str | Path, settings: dict) -> pd.DataFrame:
    """The replications stored in ``path`` by a run with the same ``settings`` (an empty frame when
    the file does not exist). Other settings, or a file that is not a power run, raise ValueError."""
    pa, pq = _arrow()
    path = Path(path)
    if not path.exists():
        return pd.DataFrame()
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise ValueError(f"Cannot resume from {path}: it is not a readable Parquet file ({exc}).") from None
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise ValueError(f"Cannot resume from {path}: it was not written by govstats power.")
    stored = json.loads(raw.decode("utf-8"))
    differ = sorted(k for k in set(stored) | set(settings) if stored.get(k) != settings.get(k))
    if differ:
        shown = "; ".join(f"{k}: stored {stored.get(k)!r}, now {settings.get(k)!r}" for k in differ[:4])
        raise ValueError(f"Cannot resume from {path}: it holds a run with other settings ({shown}). Use another "
                         "file, or the settings it was run with.")
    return table.to_pandas()
