"""Read a YAML file safely and remember the line of every value.

PyYAML's ``safe_load`` drops positions, so we compose the node tree ourselves: the
same safe constructor builds the data, and a walk over the nodes records the line of
each location, so that a problem can point at ``file:line`` as well as at its path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from govstats.errors import Problem

Loc = tuple  # a location: keys and indices from the document root, e.g. ("constructs", 2, "id")


@dataclass
class Source:
    """One parsed file: its data and the line of each location in it."""

    path: str
    data: object
    lines: dict = field(default_factory=dict)

    def line(self, loc: Loc) -> int | None:
        # A missing key has no line of its own: point at the nearest enclosing value.
        while loc not in self.lines and loc:
            loc = loc[:-1]
        return self.lines.get(loc)


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM); GB18030 for files saved by Chinese Windows editors."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def _record_lines(node: yaml.Node, loc: Loc, lines: dict) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                _record_lines(value_node, loc + (key_node.value,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _record_lines(child, loc + (i,), lines)


def read_yaml(path: Path) -> tuple[Source | None, list[Problem]]:
    """Parse one YAML file; on failure return no source and the problem that stopped it."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None, [Problem("file-not-found", name, "", "The file does not exist.",
                              "Check the path (relative paths are relative to the including file).")]
    except IsADirectoryError:
        return None, [Problem("file-not-found", name, "", "This is a folder, not a file.",
                              "Give the path of a .yaml file.")]
    except OSError as exc:
        return None, [Problem("file-not-found", name, "", f"The file cannot be read: {exc.strerror}.",
                              "Check the path and its permissions.")]
    try:
        text = _decode(raw)
    except UnicodeDecodeError:
        return None, [Problem("encoding", name, "", "The file is neither UTF-8 nor GB18030 text.",
                              "Save the file as UTF-8.")]
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # rejects control characters before parsing starts
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc)
        return None, [Problem("yaml-syntax", name, "", f"Invalid YAML: {what}.",
                              "Check indentation and quoting near this line (text containing ': ' "
                              "or starting with a quote needs quotes around it).", line)]
    except yaml.reader.ReaderError as exc:
        return None, [Problem("yaml-syntax", name, "", f"The file contains a character YAML does not "
                              f"allow ({exc.character!r} at position {exc.position}).",
                              "Remove control characters (often pasted in from other programs).")]
    except yaml.YAMLError as exc:
        return None, [Problem("yaml-syntax", name, "", f"Invalid YAML: {exc}.",
                              "Check the file's YAML syntax.")]
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict = {}
    if node is not None:
        _record_lines(node, (), lines)
    return Source(name, data, lines), []
