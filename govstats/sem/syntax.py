"""Parse lavaan-style model syntax into formulas.

Supported: ``=~`` (loadings), ``~`` (regressions), ``~~`` (variances and covariances),
``~ 1`` (intercepts), ``|`` (thresholds, ``x1 | t1 + t2``), ``~*~`` (scale factors of ordered
items), ``<~`` (composites), ``:=`` (defined parameters), ``==`` (linear equality constraints),
several left-hand sides (``y1 + y2 ~ x``), and modifiers on a term: a fixed value
(``0.5*x``), ``NA*x`` (free), a label (``a*x``, shared labels mean equal parameters),
``start(0.3)*x`` (``start(0.3, 0.4)*x`` per group), and per-group vectors ``c(a, b)*x`` /
``c(1, NA)*x``, and exploratory SEM blocks: ``efa("b1")*f1 + efa("b1")*f2 =~ x1 + ... + x6`` (the
factors of one block share its name; :mod:`govstats.sem.esem`). lavaan syntax this version does not
fit (``group:`` blocks, ``level:`` blocks outside ``fit``) is refused with the line and what to use instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from govstats.errors import GovstatsError


class ModelSyntaxError(GovstatsError):
    """Model syntax that cannot be parsed; names the line and what is wrong."""


OPERATORS = ("~*~", "=~", "~~", ":=", "==", "<~", "<", ">", "|", "~")
# lavaan 0.6 syntax that this version reads but does not fit: refused by name, never misread
NOT_AVAILABLE = {
    "level": "two-level models ('level:' blocks) are fitted by fit(model, data, cluster=...) only; here a "
             "single-level model is expected (fit one with cluster= for standard errors and tests that allow for "
             "respondents nested in communities)",
    "group": "'group:' blocks are not available in this version; write per-group values as c(...) modifiers "
             "and pass group= to fit",
    "efa": "efa(\"...\")* is a modifier of the factors on the left of '=~' only (efa(\"b1\")*f1 + efa(\"b1\")*f2 =~ "
           "x1 + x2 + ...)",
}
# R's names: letters (Chinese included: columns such as 认同1 are common), digits, '_' and '.',
# not starting with a digit; lavaan reads any name R reads.
_NAME = r"(?:[^\W\d]|\.)[\w.]*"
# Full-width and look-alike characters an input method types in place of syntax characters:
# refused with the ASCII spelling (read silently, '＝～' would be misread or not read at all).
LOOKALIKES = {"＋": "+", "＝": "=", "～": "~", "〜": "~", "∼": "~", "＊": "*", "（": "(", "）": ")",
              "，": ",", "；": ";", "：": ":", "｜": "|", "＜": "<", "＞": ">", "－": "-", "＃": "#",
              "！": "!", "　": " ", "×": "*", "．": ".", "＂": '"', "＇": "'", "‘": "'", "’": "'",
              "“": '"', "”": '"'}
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclass
class Term:
    """One right-hand-side term and its modifiers (one entry per group when a vector)."""

    name: str
    fixed: list = field(default_factory=list)   # number, None (free: NA) per group; [] if no value given
    label: list = field(default_factory=list)   # label per group ('' for none)
    start: list = field(default_factory=list)


@dataclass
class Formula:
    lhs: str
    op: str
    terms: list[Term]
    line: int
    expression: str = ""  # for := and constraints
    efa: str = ""         # the exploratory SEM block of the factor on the left of '=~'


def _check_lookalikes(number: int, raw: str) -> None:
    found = [ch for ch in dict.fromkeys(raw) if ch in LOOKALIKES]
    if found:
        ascii_line = "".join(LOOKALIKES.get(ch, ch) for ch in raw).strip()
        shown = ", ".join(f"'{ch}' (write '{LOOKALIKES[ch]}')" for ch in found)
        raise ModelSyntaxError(f"line {number}: '{raw.strip()}' has full-width or look-alike character(s) {shown}; "
                               f"model syntax uses ASCII operators: '{ascii_line}'.")


def _strip_comments(text: str) -> list[tuple[int, str]]:
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"[#!]", raw, maxsplit=1)[0].strip()
        _check_lookalikes(number, line)
        for part in line.split(";"):
            if part.strip():
                out.append((number, part.strip()))
    return out


def _join_continuations(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A formula may continue on the next line after a trailing operator or '+', or before a leading '+'."""
    joined: list[tuple[int, str]] = []
    for number, line in lines:
        if joined and (joined[-1][1].endswith(("+", "~", "=~", "~~", "*", ",", "(")) or line.startswith("+")):
            joined[-1] = (joined[-1][0], joined[-1][1] + " " + line)
        else:
            joined.append((number, line))
    return joined


def _split_operator(line: str, number: int) -> tuple[str, str, str]:
    for op in OPERATORS:
        # '~' inside '=~' and '~~' must not match: scan operators longest first, outside parentheses.
        depth = 0
        for i, ch in enumerate(line):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and line.startswith(op, i):
                if op == "~" and (line.startswith("~~", i) or (i > 0 and line[i - 1] in "=~")):
                    continue
                return line[:i].strip(), op, line[i + len(op):].strip()
    if "%" in line:
        raise ModelSyntaxError(f"line {number}: '{line}': group weights ('%') are not available in this version.")
    raise ModelSyntaxError(f"line {number}: no operator (=~, ~, ~~, |, ~*~, <~, :=, ==, <, >) in '{line}'.")


def _split_terms(rhs: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for ch in rhs:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "+" and depth == 0 and current.strip():
            terms.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        terms.append(current.strip())
    return terms


def _modifier_values(text: str, number: int) -> list[str]:
    """The values of a modifier: ``c(a, b)``, or inside ``start()``/``label()`` a plain list ``a, b``."""
    text = text.strip()
    if text.startswith("c(") and text.endswith(")"):
        text = text[2:-1]
    return [v.strip() for v in text.split(",")]


LARGEST = 1e150  # a larger value's square (a variance it implies) overflows double precision


def _finite(value: str, number: int, what: str) -> float:
    """A modifier's number; infinite values (1e400) and values whose square overflows (1e200) are
    refused: no implied covariance matrix can be computed with them."""
    x = float(value)
    if not math.isfinite(x):
        raise ModelSyntaxError(f"line {number}: the {what} '{value}' is not a finite number; give a number "
                               "between -1e150 and 1e150 (or NA for a free parameter).")
    if abs(x) > LARGEST:
        raise ModelSyntaxError(f"line {number}: the {what} '{value}' is too large to compute with (its square, a "
                               "variance it implies, overflows); give a number between -1e150 and 1e150, "
                               "or rescale the variable.")
    return x


def _parse_term(text: str, number: int) -> Term:
    parts = _split_star(text)
    name = parts[-1].strip()
    if not re.fullmatch(_NAME, name) and not _NUMBER.match(name):
        raise ModelSyntaxError(f"line {number}: '{name}' is not a variable name.")
    term = Term(name)
    for mod in parts[:-1]:
        mod = mod.strip()
        if mod.startswith("start(") and mod.endswith(")"):
            try:
                term.start = [_finite(v, number, "start value") for v in _modifier_values(mod[6:-1], number)]
            except ValueError:
                raise ModelSyntaxError(f"line {number}: the start values in '{mod}' are not numbers.") from None
            continue
        if mod.startswith(("equal(", "label(")) and mod.endswith(")"):
            term.label = [v.strip("'\" ") for v in _modifier_values(mod[6:-1], number)]
            continue
        values = _modifier_values(mod, number)
        if all(v == "NA" or _NUMBER.match(v) for v in values):
            term.fixed = [None if v == "NA" else _finite(v, number, "fixed value") for v in values]
        elif all(re.fullmatch(_NAME, v.strip("'\"")) or v == "NA" for v in values):
            term.label = ["" if v == "NA" else v.strip("'\"") for v in values]
        else:
            raise ModelSyntaxError(f"line {number}: cannot read the modifier '{mod}' of '{text}'.")
    return term


def _split_star(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "*" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def parse_model(text: str) -> list[Formula]:
    """Formulas of a model, in order; raises :class:`ModelSyntaxError` naming the line."""
    if not isinstance(text, str) or not text.strip():
        raise ModelSyntaxError("The model syntax is empty.")
    formulas = []
    for number, line in _join_continuations(_strip_comments(text)):
        block = re.match(r"^(level|group)\s*:(?!=)", line)  # "level := a - b" is a defined parameter
        if block:
            raise ModelSyntaxError(f"line {number}: '{line}': {NOT_AVAILABLE[block.group(1)]}.")
        lhs, op, rhs = _split_operator(line, number)
        lhs, blocks = _efa_blocks(lhs, op, line, number)
        if re.search(r"(^|[+\s*(])efa\s*\(", rhs):
            raise ModelSyntaxError(f"line {number}: '{line}': {NOT_AVAILABLE['efa']}.")
        if op in NOT_AVAILABLE:
            raise ModelSyntaxError(f"line {number}: '{line}': {NOT_AVAILABLE[op]}.")
        if not lhs or not rhs:
            raise ModelSyntaxError(f"line {number}: '{line}' needs something on both sides of '{op}'.")
        if op in (":=", "==", "<", ">"):
            if op == ":=" and not re.fullmatch(_NAME, lhs):
                raise ModelSyntaxError(f"line {number}: '{lhs}' is not a valid name for a defined parameter.")
            formulas.append(Formula(lhs, op, [], number, expression=rhs))
            continue
        lhs_names = [s.strip() for s in lhs.split("+")]
        for name in lhs_names:
            if not re.fullmatch(_NAME, name):
                raise ModelSyntaxError(f"line {number}: '{name}' is not a variable name.")
        terms = [_parse_term(t, number) for t in _split_terms(rhs)]
        if op == "=~" and any(t.name in lhs_names for t in terms):
            raise ModelSyntaxError(f"line {number}: '{line}': a latent variable cannot be measured by itself "
                                   "(lavaan refuses it too); list its indicators on the right of '=~'.")
        for name in lhs_names:
            for term in terms:
                if op == "~" and term.name == "1" or op == "~" and _NUMBER.match(term.name) and float(term.name) == 1:
                    formulas.append(Formula(name, "~1", [term], number))
                elif _NUMBER.match(term.name):
                    raise ModelSyntaxError(f"line {number}: a number '{term.name}' cannot stand for a variable.")
                else:
                    formulas.append(Formula(name, op, [term], number, efa=blocks.get(name, "")))
    if not formulas:
        # lavaan: "model does not contain lavaan syntax (no operators found)"
        raise ModelSyntaxError("The model syntax has only comments and blank lines: it contains no lavaan syntax "
                               "(no operators found). Write a formula such as 'F =~ x1 + x2 + x3'.")
    _check_observed(formulas)
    return formulas


_EFA = re.compile(r"^efa\s*\(\s*(?:\"([^\"]*)\"|'([^']*)'|([\w.]+))\s*\)\s*\*\s*(.+)$")


def _efa_blocks(lhs: str, op: str, line: str, number: int) -> tuple[str, dict[str, str]]:
    """The left-hand side without its ``efa("b")*`` modifiers, and each factor's block name."""
    if not re.search(r"(^|[+\s*(])efa\s*\(", lhs):
        return lhs, {}
    if op != "=~":
        raise ModelSyntaxError(f"line {number}: '{line}': {NOT_AVAILABLE['efa']}.")
    names, blocks = [], {}
    for part in lhs.split("+"):
        part = part.strip()
        match = _EFA.match(part)
        if match is None:
            if re.search(r"efa\s*\(", part):
                raise ModelSyntaxError(f"line {number}: cannot read '{part}': write an exploratory SEM block as "
                                       "efa(\"b1\")*f1 (the block's name in quotes, then '*' and the factor).")
            names.append(part)
            continue
        block = next(g for g in match.groups()[:3] if g is not None).strip()
        if not block:
            raise ModelSyntaxError(f"line {number}: '{part}': the efa() block needs a name, as efa(\"b1\")*f1.")
        names.append(match.group(4).strip())
        blocks[match.group(4).strip()] = block
    return " + ".join(names), blocks


def _check_observed(formulas: list[Formula]) -> None:
    """A model must refer to an observed variable (lavaan: "ov.names is empty: model does not refer
    to any observed variables")."""
    modeled = [f for f in formulas if f.op not in (":=", "==", "<", ">")]
    latent = {f.lhs for f in modeled if f.op in ("=~", "<~")}
    names = {f.lhs for f in modeled} | {t.name for f in modeled for t in f.terms if f.op != "~1"}
    if modeled and not names - latent:
        raise ModelSyntaxError(f"line {modeled[0].line}: the model refers to no observed variable: every name in "
                               f"it ({', '.join(sorted(names))}) is a latent variable defined by '=~' or '<~'. "
                               "Put the data's columns on the right of '=~'.")
