"""Which text encoding a response file is in: field teams hand in UTF-8 (often with the
byte-order mark Excel writes) or GBK."""

from __future__ import annotations

from pathlib import Path


def detect_encoding(path: str | Path) -> str:
    """``"utf-8-sig"``, ``"utf-8"`` or ``"gb18030"`` (a superset of GBK and GB2312).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "gbk.csv"
    >>> _ = p.write_bytes("社区,age\\n".encode("gbk"))
    >>> detect_encoding(p)
    'gb18030'
    """
    data = Path(path).read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"
