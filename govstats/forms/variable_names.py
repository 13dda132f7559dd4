"""Valid SPSS and Stata variable names for a file's column headers.

The rules (checked against pyreadstat/ReadStat, which refuses what the programs would):

- SPSS (.sav): at most 64 bytes of UTF-8 (21 Chinese characters); starts with a letter (Chinese
  included); then letters, digits and ``. _ $ # @``; does not end with ``.``; not one of the
  reserved words ALL AND BY EQ GE GT LE LT NE NOT OR TO WITH (in any case).
- Stata (.dta, format 118): at most 32 characters and 128 bytes; starts with a letter or ``_``;
  then letters, digits and ``_``; not a reserved word (``if``, ``in``, ``_n``, ``byte`` ...).

A header that breaks a rule is changed as little as possible: other characters (spaces, ``、``,
``-``, full-width brackets) become ``_``, a name starting with a digit or a symbol gets a ``v`` in
front (``1、您的年龄`` becomes ``v1_您的年龄``), a long name is cut, a reserved word gets a ``_``
at the end, and repeats are numbered (``_2``, ``_3``).
"""

from __future__ import annotations

import re

SPSS_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
STATA_RESERVED = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
                  "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"}
# (characters allowed after the first, bytes, characters)
RULES = {"sav": (".$#@_", 64, 64), "dta": ("_", 128, 32)}


def _allowed(ch: str, extra: str) -> bool:
    return ch.isalnum() or ch in extra


def _first_ok(ch: str, format: str) -> bool:
    return ch.isalpha() or (format == "dta" and ch == "_")


def _reserved(name: str, format: str) -> bool:
    if format == "sav":
        return name.upper() in SPSS_RESERVED
    return name in STATA_RESERVED or bool(re.fullmatch(r"str\d+", name))


def _cut(name: str, format: str) -> str:
    _, max_bytes, max_chars = RULES[format]
    name = name[:max_chars]
    while len(name.encode("utf-8")) > max_bytes:
        name = name[:-1]
    return name


def is_valid(name: str, format: str) -> bool:
    """Whether ``name`` is a valid variable name in ``format`` ("sav" or "dta").

    >>> is_valid("认同1", "sav"), is_valid("1、年龄", "sav"), is_valid("_x", "dta"), is_valid("x.y", "dta")
    (True, False, True, False)
    """
    extra = RULES[format][0]
    return (bool(name) and _first_ok(name[0], format) and all(_allowed(ch, extra) for ch in name)
            and _cut(name, format) == name and not _reserved(name, format)
            and not (format == "sav" and name.endswith(".")))


def make_valid(name: str, format: str) -> str:
    """The nearest valid name (not yet made unique).

    >>> make_valid("1、您的年龄", "sav"), make_valid("社区 认同（新）", "dta"), make_valid("with", "dta")
    ('v1_您的年龄', '社区_认同_新', 'with_')
    """
    if is_valid(name, format):
        return name
    extra = RULES[format][0]
    text = "".join(ch if _allowed(ch, extra) else "_" for ch in str(name).strip())
    text = re.sub(r"_+", "_", text).strip("_")
    if format == "sav":
        text = text.rstrip(".")
    if not text or not _first_ok(text[0], format):
        text = "v" + text
    text = _cut(text, format)
    if format == "sav":
        text = text.rstrip(".")
    if _reserved(text, format):
        text = _cut(text, format)[:-1] + "_" if len(text) >= RULES[format][2] else text + "_"
    return text


def valid_names(columns: list, format: str) -> dict[str, str]:
    """Old name -> new name for every column that needs a new one; new names are unique and do
    not take a name another column already has.

    >>> valid_names(["id", "1、年龄", "v1_年龄", "a b", "a-b"], "sav")
    {'1、年龄': 'v1_年龄_2', 'a b': 'a_b', 'a-b': 'a_b_2'}
    """
    names = [str(c) for c in columns]
    taken = {n for n in names if is_valid(n, format)}
    renamed: dict[str, str] = {}
    for name in names:
        if name in taken and is_valid(name, format):
            continue
        base = make_valid(name, format)
        new, k = base, 1
        while new in taken:
            k += 1
            suffix = f"_{k}"
            new = _cut(base, format)
            while len((new + suffix).encode("utf-8")) > RULES[format][1] or len(new + suffix) > RULES[format][2]:
                new = new[:-1]
            new += suffix
        taken.add(new)
        renamed[name] = new
    return renamed
