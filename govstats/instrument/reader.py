"""Typed reading of raw YAML values, recording a located problem instead of raising.

Every ``Reader`` method returns the value when it has the right shape and ``None``
(after recording a :class:`~govstats.errors.Problem`) when it does not, so that parsing
goes on and a file's problems are all reported in one run.
"""

from __future__ import annotations

import difflib
import re

from govstats.errors import Problem
from govstats.instrument.model import LANGUAGES, Choice, Text
from govstats.instrument.yaml_source import Loc, Source

ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def format_loc(loc: Loc) -> str:
    """``("constructs", 2, "items", 1)`` -> ``"constructs[2].items[1]"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Reader:
    """Reads values of one source file and collects the problems found in it."""

    def __init__(self, source: Source, problems: list[Problem]):
        self.source = source
        self.problems = problems

    def add(self, code: str, loc: Loc, message: str, hint: str = "") -> None:
        self.problems.append(
            Problem(code, self.source.path, format_loc(loc), message, hint, self.source.line(loc))
        )

    # -- containers -----------------------------------------------------------------------
    def mapping(self, value: object, loc: Loc, what: str) -> dict | None:
        if isinstance(value, dict):
            return value
        self.add("wrong-type", loc, f"{what} must be a mapping (key: value lines), found {_kind(value)}.",
                 "Write it as indented 'key: value' lines.")
        return None

    def sequence(self, value: object, loc: Loc, what: str) -> list | None:
        if isinstance(value, list):
            return value
        self.add("wrong-type", loc, f"{what} must be a list ('- ' entries), found {_kind(value)}.",
                 "Write each entry on its own line starting with '- '.")
        return None

    def fields(self, mapping: dict, loc: Loc, what: str, required: tuple, optional: tuple,
               unknown_hint: str = "") -> dict:
        """Report missing required keys and unknown keys; return the mapping."""
        allowed = required + optional
        for key in mapping:
            if not isinstance(key, str) or key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"Did you mean '{close[0]}'?" if close else f"Allowed keys: {', '.join(allowed)}."
                hint = f"{hint} {unknown_hint}".strip()
                self.add("unknown-field", loc + (str(key),), f"{what} has an unknown key '{key}'.", hint)
        for key in required:
            if key not in mapping:
                self.add("missing-field", loc + (key,), f"{what} needs '{key}'.",
                         f"Add a '{key}:' entry.")
        return mapping

    # -- scalars --------------------------------------------------------------------------
    def string(self, value: object, loc: Loc, what: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._as_written(value, loc)
        self.add("wrong-type", loc, f"{what} must be text, found {_kind(value)}.", "Write it as text.")
        return None

    def _as_written(self, value, loc: Loc) -> str:
        """A number where text belongs, as the file writes it: ``0.10`` stays ``"0.10"``
        (``str(0.10)`` would be ``"0.1"``, another version)."""
        written = self.source.number_text(loc)
        return written if written is not None else str(value)

    def ident(self, value: object, loc: Loc, what: str) -> str | None:
        if not isinstance(value, str):
            self.add("wrong-type", loc, f"{what} must be an id (text), found {_kind(value)}.",
                     "Use letters, digits and underscores, starting with a letter.")
            return None
        if not ID_PATTERN.match(value):
            self.add("invalid-value", loc, f"{what} '{value}' is not a valid id.",
                     "Use letters, digits and underscores, starting with a letter (it becomes a column name).")
            return None
        return value

    def number(self, value: object, loc: Loc, what: str) -> float | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != value or value in (float("inf"), float("-inf")):
                self.add("invalid-value", loc, f"{what} must be a finite number, found {value}.",
                         "Give a finite number.")
                return None
            return float(value)
        self.add("wrong-type", loc, f"{what} must be a number, found {_kind(value)}.", "Give a number.")
        return None

    def integer(self, value: object, loc: Loc, what: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        self.add("wrong-type", loc, f"{what} must be a whole number, found {_kind(value)}.",
                 "Give a whole number.")
        return None

    def boolean(self, value: object, loc: Loc, what: str) -> bool | None:
        if isinstance(value, bool):
            return value
        self.add("wrong-type", loc, f"{what} must be true or false, found {_kind(value)}.",
                 "Write true or false.")
        return None

    def one_of(self, value: object, loc: Loc, what: str, allowed: tuple) -> str | None:
        if isinstance(value, str) and value in allowed:
            return value
        close = difflib.get_close_matches(str(value), allowed, n=1)
        hint = f"Did you mean '{close[0]}'?" if close else ""
        self.add("invalid-value", loc, f"{what} must be one of {', '.join(allowed)}; found '{value}'.", hint)
        return None

    def numbers(self, value: object, loc: Loc, what: str) -> tuple[float, ...] | None:
        seq = self.sequence(value, loc, what)
        if seq is None:
            return None
        out = [self.number(v, loc + (i,), f"{what} entry") for i, v in enumerate(seq)]
        return None if any(v is None for v in out) else tuple(out)

    # -- bilingual text -------------------------------------------------------------------
    def text(self, value: object, loc: Loc, what: str) -> Text | None:
        m = self.mapping(value, loc, what)
        if m is None:
            return None
        self.fields(m, loc, what, (), LANGUAGES, unknown_hint=(
            "If this is part of the wording: inside {zh: ..., en: ...} a comma, '?' or ': ' "
            "ends the text; put the text in double quotes or write zh: and en: on lines of their own."))
        return self._languages(m, loc, what)

    def _languages(self, m: dict, loc: Loc, what: str) -> Text | None:
        out = {}
        for lang in LANGUAGES:
            v = m.get(lang)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = self._as_written(v, loc + (lang,))
            if isinstance(v, str) and v.strip():
                out[lang] = v.strip()
            elif v is None or (isinstance(v, str) and not v.strip()):
                name = "Chinese" if lang == "zh" else "English"
                self.add("missing-translation", loc + (lang,), f"{what} has no {name} ({lang}) text.",
                         f"Add '{lang}: ...' with the {name} wording.")
            else:
                self.add("wrong-type", loc + (lang,), f"{what} ({lang}) must be text, found {_kind(v)}.",
                         "Write the wording as text.")
        return Text(**out) if len(out) == 2 else None

    def choices(self, value: object, loc: Loc, what: str) -> tuple[Choice, ...] | None:
        """A list of ``{code, zh, en}`` entries with unique integer codes."""
        seq = self.sequence(value, loc, what)
        if seq is None:
            return None
        out, seen, ok = [], {}, True
        for i, entry in enumerate(seq):
            eloc = loc + (i,)
            m = self.mapping(entry, eloc, f"{what} entry")
            if m is None:
                ok = False
                continue
            self.fields(m, eloc, f"{what} entry", ("code",), LANGUAGES)
            code = self.integer(m["code"], eloc + ("code",), "code") if "code" in m else None
            label = self._languages(m, eloc, f"{what} entry")
            if code is not None and code in seen:
                self.add("duplicate-id", eloc + ("code",),
                         f"Code {code} is used twice in {what} (also at entry {seen[code]}).",
                         "Give every point its own code.")
                ok = False
            if code is None or label is None:
                ok = False
                continue
            seen[code] = i
            out.append(Choice(code, label))
        if ok and not out and seq:
            ok = False
        return tuple(out) if ok else None
