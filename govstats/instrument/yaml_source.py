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


# Hostile YAML is refused while it is parsed, before anything expands: an instrument is a few
# levels deep and a few thousand values long; these limits are far above any real one.
MAX_DEPTH = 64             # nested mappings/lists (the composer recurses: 5,000 levels overflow it)
MAX_EXPANDED = 200_000     # values with every alias expanded (a billion-laughs file has 10^9)
# Only YAML's own types: any other tag (!!python/object, !custom) has no meaning in an instrument.
SAFE_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map"))


@dataclass
class Source:
    """One parsed file: its data, the line of each location in it, and the source text of
    every plain number (so that ``version: 0.10`` is read as ``"0.10"``, not ``"0.1"``)."""

    path: str
    data: object
    lines: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)

    def number_text(self, loc: Loc) -> str | None:
        """The text a number at ``loc`` was written as, if it was written as a number."""
        return self.numbers.get(loc)

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


class HostileYAML(yaml.YAMLError):
    """YAML refused before it is composed: too deep, aliases that expand too far, a foreign tag."""

    def __init__(self, message: str, hint: str, mark):
        super().__init__(message)
        self.message, self.hint, self.mark = message, hint, mark


class _GuardedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with every parser event checked before the composer sees it."""

    def __init__(self, stream):
        super().__init__(stream)
        self._open: list = []      # [anchor, expanded size so far] of each open mapping/list
        self._sizes: dict = {}     # anchor -> expanded size of its node
        self._total = 0
        self._aliases = False

    def get_event(self):
        event = super().get_event()
        self._guard(event)
        return event

    def _guard(self, event) -> None:
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in SAFE_TAGS and tag != "!":
            raise HostileYAML(f"The tag '{tag}' is not allowed in an instrument file.",
                              "Remove the tag: an instrument holds only text, numbers, lists and mappings.",
                              event.start_mark)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self._open.append([event.anchor, 1])
            if len(self._open) > MAX_DEPTH:
                raise HostileYAML(f"The file nests mappings and lists more than {MAX_DEPTH} levels deep.",
                                  "An instrument needs a few levels; check the indentation or the brackets.",
                                  event.start_mark)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, size = self._open.pop()
            if anchor is not None:
                self._sizes[anchor] = size
            self._add(size, event, counted=True)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                self._sizes[event.anchor] = 1
            self._add(1, event)
        elif isinstance(event, yaml.AliasEvent):
            self._aliases = True
            self._add(self._sizes.get(event.anchor, 1), event)

    def _add(self, size: int, event, counted: bool = False) -> None:
        if not counted:
            self._total += size
        if self._open:
            self._open[-1][1] += size
        if self._total > MAX_EXPANDED or (self._open and self._open[-1][1] > MAX_EXPANDED):
            if self._aliases:
                raise HostileYAML(f"Aliases (*name) in the file expand to more than {MAX_EXPANDED:,} values.",
                                  "Write the values out, or use fewer aliases: an instrument is far smaller.",
                                  event.start_mark)
            raise HostileYAML(f"The file holds more than {MAX_EXPANDED:,} values; no instrument is that large.",
                              "Check that this is an instrument file.", event.start_mark)


def _record_lines(node: yaml.Node, loc: Loc, source: Source, problems: list) -> None:
    """Lines and number texts of every location; duplicate keys reported with both lines."""
    source.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            source.numbers[loc] = node.value
    elif isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                line = key_node.start_mark.line + 1
                if key in seen:
                    from govstats.instrument.reader import format_loc

                    problems.append(Problem(
                        "duplicate-key", source.path, format_loc(loc + (key,)),
                        f"The key '{key}' appears twice in this mapping (lines {seen[key]} and {line}); "
                        f"YAML would keep only the last value.", "Remove one of them, or rename it.", line))
                    continue
                seen[key] = line
                _record_lines(value_node, loc + (key,), source, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _record_lines(child, loc + (i,), source, problems)


def read_yaml(path: Path) -> tuple[Source | None, list[Problem]]:
    """Parse one YAML file: its source and the problems found in it (duplicate keys); on
    failure no source and the problem that stopped it. Hostile YAML (too deep, aliases that
    expand too far, foreign tags) is refused before anything is built from it."""
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
        loader = _GuardedLoader(text)  # rejects control characters before parsing starts
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except HostileYAML as exc:
        return None, [Problem("unsafe-yaml", name, "", exc.message, exc.hint, exc.mark.line + 1)]
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
    source, problems = Source(name, data), []
    if node is not None:
        _record_lines(node, (), source, problems)
    return source, problems
