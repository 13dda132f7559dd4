"""Write a validation run's evidence into the instrument file as a new version.

The file is edited as text, never re-serialized, so everything the authors wrote is kept
byte for byte: comments, key order, quoting, blank lines, flow or block style, line endings
and the encoding (UTF-8, UTF-8 with BOM, or GB18030). Exactly two places change:

1. the value of the top-level ``version:`` (written in double quotes);
2. one entry appended to the top-level ``validation:`` list, after its last entry (a block
   list; a flow list such as ``validation: []`` is accepted only when empty), or, when the file
   has no ``validation:`` yet, a ``validation:`` list with one entry appended at the end of the
   file, after a comment saying what it is.

The previous version is kept as a file: ``<name>.v<old version>.yaml`` beside the instrument
(refused if such a file exists with other content), unless the new version is written to a
different file (``out``), in which case the original stays untouched. The new text is loaded
and checked like any instrument before anything is replaced; the replacement is atomic.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

COMMENT = "# The evidence behind each version: one entry per `govstats validate --record` run."


@dataclass(frozen=True)
class Recorded:
    """Where the new version went, where the previous one is kept, and the versions."""

    path: Path
    previous: Path | None
    old_version: str
    new_version: str
    entry: dict


def bump_version(version: str) -> str:
    """The next version: the second number raised and later ones zeroed (``1.0.0`` -> ``1.1.0``,
    ``0.10`` -> ``0.11``), or the only number raised (``2`` -> ``3``).

    >>> bump_version("1.0.0"), bump_version("0.10"), bump_version("2")
    ('1.1.0', '0.11', '3')
    """
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        raise ValueError(f"The version '{version}' is not of the form 1.0.0, so the next one cannot be chosen "
                         "for it; give the new version explicitly (new_version=, --new-version).")
    parts = version.split(".")
    k = 1 if len(parts) > 1 else 0
    parts[k] = str(int(parts[k]) + 1)
    parts[k + 1:] = ["0"] * len(parts[k + 1:])
    return ".".join(parts)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gb18030"), "gb18030"


def _top(node: yaml.MappingNode, key: str):
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None, None


def _last_leaf(node: yaml.Node) -> yaml.Node:
    """The node whose end is the end of ``node``'s text (block collections end at the next token)."""
    while not getattr(node, "flow_style", True) and node.value:
        node = node.value[-1][1] if isinstance(node, yaml.MappingNode) else node.value[-1]
    return node


def dropped_since(instrument, version: str) -> list[dict]:
    """Items of the latest recorded version other than ``version`` that the instrument no longer
    has, each with the reason suggested for it then (or that none was recorded)."""
    current = {i.id for i in instrument.items}
    earlier = [r for r in instrument.validation if r.version != version]
    if not earlier:
        return []
    last = earlier[-1]
    why = {n.item: f"{n.action}: {n.reason}" for n in last.suggested}
    return [{"item": i, "reason": why.get(i, "dropped by the authors (no suggestion recorded)")}
            for i in last.items if i not in current]


def entry_yaml(entry: dict, indent: int, newline: str) -> str:
    """The entry as one block-list item, indented by ``indent`` columns."""
    text = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
    lines = [(" " * indent + line) if line else line for line in text.splitlines()]
    return newline.join(lines) + newline


def record_validation(path, entry: dict, new_version: str | None = None, out=None) -> Recorded:
    """Write ``entry`` (from :meth:`ValidationResults.record`) into the instrument as a new version.

    Parameters
    ----------
    path : path-like
        The instrument file; it must load without problems.
    entry : dict
        The ``validation:`` entry. Its ``dropped`` list is filled in here: the items of the
        latest earlier recorded version that this version no longer has, with the reason
        suggested for them then.
    new_version : str, optional
        Default: :func:`bump_version` of the current version.
    out : path-like, optional
        Write the new version there and leave ``path`` as it is. By default ``path`` is
        rewritten and the previous version kept as ``<name>.v<old>.yaml`` beside it.

    Returns
    -------
    Recorded

    Raises
    ------
    InstrumentError
        If the file does not load, or (a bug) the written text would not.
    ValueError
        If the new version equals the old, the file keeps its previous version's name already
        with other content, or ``validation:`` is a non-empty flow list.
    """
    from govstats.instrument import load_instrument

    path = Path(path)
    inst = load_instrument(path)
    old = inst.version
    new = bump_version(old) if new_version is None else str(new_version)
    if new == old:
        raise ValueError(f"The 'new_version' parameter of record_validation must differ from the current version. "
                         f"Got {new!r} instead.")
    raw = path.read_bytes()
    text, encoding = _decode(raw)
    newline = "\r\n" if "\r\n" in text else "\n"
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    entry = dict(entry)
    entry["dropped"] = dropped_since(inst, entry.get("version", old))

    _, vnode = _top(root, "version")
    vkey, seq = _top(root, "validation")
    edits = [(vnode.start_mark.index, vnode.end_mark.index, f'"{new}"')]
    if seq is None:
        tail = "" if text.endswith(("\n", "\r")) else newline
        block = f"{tail}{newline}{COMMENT}{newline}validation:{newline}" + entry_yaml(entry, 2, newline)
        edits.append((len(text), len(text), block))
    elif isinstance(seq, yaml.SequenceNode) and seq.flow_style and not seq.value:
        edits.append((seq.start_mark.index, seq.end_mark.index, newline + entry_yaml(entry, 2, newline).rstrip("\r\n")))
    elif isinstance(seq, yaml.SequenceNode) and not seq.flow_style:
        end = _last_leaf(seq).end_mark.index
        if text[end - 1:end] != "\n":  # the leaf ends mid-line: insert after its line
            nl = text.find("\n", end)
            end = len(text) if nl < 0 else nl + 1
        prefix = "" if text[end - 1:end] == "\n" else newline
        edits.append((end, end, prefix + entry_yaml(entry, seq.start_mark.column, newline)))
    else:
        raise ValueError(f"{path}: 'validation:' (line {vkey.start_mark.line + 1}) must be a block list ('- ' "
                         "entries) for an entry to be added without rewriting it; write it that way first.")
    new_text = text
    for start, stop, replacement in sorted(edits, reverse=True):
        new_text = new_text[:start] + replacement + new_text[stop:]

    target = Path(out) if out is not None else path
    previous = None
    if out is None or target.resolve() == path.resolve():
        previous = path.with_name(f"{path.stem}.v{old}{path.suffix}")
        if previous.exists() and previous.read_bytes() != raw:
            raise ValueError(f"{previous} exists with other content; move it away, or write the new version "
                             "elsewhere (out=, --record-to).")
    if previous is not None and not previous.exists():  # kept before anything is replaced
        previous.write_bytes(raw)
    _check_and_write(new_text.encode(encoding), target, len(inst.validation) + 1, new)
    return Recorded(path=target, previous=previous, old_version=old, new_version=new, entry=entry)


def _check_and_write(data: bytes, target: Path, records: int, version: str) -> None:
    """Load the new text from a temporary file beside ``target`` (so relative includes resolve),
    then move it into place."""
    from govstats.instrument import load_instrument

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        written = load_instrument(tmp)
        if written.version != version or len(written.validation) != records:
            raise RuntimeError(f"record_validation wrote version {written.version!r} with "
                               f"{len(written.validation)} records, expected {version!r} and {records}.")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
