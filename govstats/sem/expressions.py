"""Safe arithmetic for ``:=`` defined parameters and ``==`` / ``<`` / ``>`` constraints.

lavaan evaluates these right-hand sides as R code. govstats instead parses them with a
small whitelisted grammar into a postfix program that numpy runs, so user text never
reaches Python's own evaluator: ``(a).__class__`` or ``__import__('os')`` are refused
as syntax errors, not executed.

Grammar (R precedence)::

    expr  := term (('+' | '-') term)*
    term  := unary (('*' | '/') unary)*
    unary := '-' unary | '+' unary | power
    power := atom ('^' unary)?
    atom  := number | label | func '(' expr ')' | '(' expr ')'
    func  := exp | log | sqrt | abs

As in R, ``^`` is right-associative and binds tighter than unary minus (``-2^2`` is -4,
``2^3^2`` is 512, ``2^-1`` is 0.5). A label is ``[A-Za-z_.][A-Za-z0-9_.]*`` (lavaan labels
may hold dots: ``a.1``, ``.p1.``); a number is ``1``, ``2.5``, ``.5`` or ``1e-3`` and must
be finite, so ``1e99999`` is refused rather than read as infinity. ``**`` is refused
(R has no such operator; write ``^``). Labels starting with ``_`` or containing ``__``
are only accepted when they are among the ``known`` labels. Expressions are limited to
10 000 characters and 100 levels of nesting so hostile input cannot exhaust the stack.

Evaluation follows numpy: ``log(-1)`` is nan, ``1/0`` is inf, without warnings. Every
value may be a float or an array of shape (k,) holding k parameter vectors at once.

Examples
--------
>>> from govstats.sem.expressions import parse_expression, parse_constraint
>>> e = parse_expression("a*b/(c + a*b)")
>>> e.names
('a', 'b', 'c')
>>> round(e.evaluate({"a": 0.5, "b": 0.4, "c": 0.3}), 6)
0.4
>>> parse_constraint("a1", "==", "a2 + 2*a3 - 1").linear_coefficients()
({'a1': 1.0, 'a2': -1.0, 'a3': -2.0}, 1.0)
>>> parse_expression("(a).__class__", line=7)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
govstats.sem.expressions.ExpressionError: line 7: '(a).__class__' is not allowed: ...
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from govstats.sem.syntax import ModelSyntaxError

__all__ = [
    "Constraint",
    "Expression",
    "ExpressionError",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "defined_jacobian",
    "evaluate_defined",
    "parse_constraint",
    "parse_definition",
    "parse_expression",
]

MAX_LENGTH = 10_000
MAX_DEPTH = 100  # each level costs ~5 parser frames; 100 stays well inside Python's recursion limit

_ALLOWED = ("only numbers, parameter labels, + - * / ^, unary minus, parentheses "
            "and exp, log, sqrt, abs are allowed")

_FUNCTIONS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs}
_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power}
_CONSTRAINT_OPS = ("==", "<", ">")

_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_.]")

# Why a character is refused, for the characters people (or attackers) actually try.
_REFUSED = {
    "[": "indexing with '[ ]' is not allowed",
    "]": "indexing with '[ ]' is not allowed",
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    ",": "',' is not allowed (exp, log, sqrt and abs take exactly one argument)",
    "=": "'=' is not allowed (a constraint compares two expressions with ==, < or >)",
    ";": "';' is not allowed (one expression only)",
    "`": "backtick-quoted names are not allowed",
    "@": "'@' is not allowed",
    "$": "'$' is not allowed",
    ":": "':' is not allowed",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
}
_DISPLAY_LIMIT = 200  # longer expressions are shown cut in messages, with their length


class ExpressionError(ModelSyntaxError):
    """An expression in ``:=`` or a constraint that is refused or cannot be parsed.

    The message names the line (when known), the whole expression (cut after 150
    characters when longer than 200) and what is wrong. The same facts are kept in
    the attributes ``line`` and ``expression``.
    """

    def __init__(self, message: str, *, line: int | None = None, expression: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.expression = expression


def _display(text: str) -> str:
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(shown) > _DISPLAY_LIMIT:
        shown = f"{shown[:150]}... ({len(text)} characters)"
    return shown


def _error(shown: str, line: int | None, problem: str, *, forbidden: bool | None) -> ExpressionError:
    """forbidden: True for refused constructs, False for malformed text, None for other problems."""
    where = f"line {line}: " if line is not None else ""
    if forbidden:
        message = f"{where}'{_display(shown)}' is not allowed: {problem}; {_ALLOWED}."
    elif forbidden is None:
        message = f"{where}'{_display(shown)}': {problem}."
    else:
        message = f"{where}'{_display(shown)}' cannot be parsed: {problem}."
    return ExpressionError(message, line=line, expression=shown)


# --------------------------------------------------------------------------- parsing

class _Token(NamedTuple):
    kind: str  # 'num', 'name', 'op' or 'end'
    text: str


def _tokenize(text: str, fail) -> Iterator[_Token]:
    # A generator, so that problems are reported in reading order: in
    # '(a).__class__[0]' the '.' after ')' is the error, not the '[' further on.
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif match := _NUMBER.match(text, i):  # before names: '.5' is a number, '.p1.' a label
            end = match.end()
            if tail := _NAME_CHAR.match(text, end):
                fail(f"'{match.group()}' is directly followed by '{tail.group()}' "
                     f"(write '*' to multiply; numbers are written 1, 2.5, .5 or 1e-3)", True)
            if not np.isfinite(float(match.group())):
                fail(f"the number '{match.group()}' is not finite", True)
            yield _Token("num", match.group())
            i = end
        elif name := _NAME.match(text, i):
            yield _Token("name", name.group())
            i = name.end()
        elif text.startswith("**", i):
            fail("'**' is not an operator here: write '^' for powers (as in R)", True)
        elif ch in "+-*/^()":
            yield _Token("op", ch)
            i += 1
        else:
            fail(_REFUSED.get(ch, f"the character {ch!r} is not allowed"), True)
    yield _Token("end", "")


class _Parser:
    """Recursive descent over the grammar in the module docstring, emitting postfix code."""

    def __init__(self, text: str, shown: str, line: int | None, known: Collection[str] | None):
        self.shown, self.line, self.known = shown, line, known
        self.tokens = _tokenize(text, self.fail)
        self.previous = _Token("end", "")
        self.peek = next(self.tokens)
        self.depth = -1  # the outermost operand is level 0
        self.program: list[tuple[str, object]] = []
        self.names: dict[str, None] = {}  # an ordered set

    def fail(self, problem: str, forbidden: bool):
        raise _error(self.shown, self.line, problem, forbidden=forbidden)

    def take(self) -> _Token:
        self.previous = self.peek
        if self.peek.kind != "end":
            self.peek = next(self.tokens)
        return self.previous

    def parse(self) -> None:
        if self.peek.kind == "end":
            self.fail("the expression is empty", False)
        self.expr()
        if self.peek.kind != "end":
            self.misplaced(self.peek)

    def expr(self) -> None:
        self.term()
        while self.peek.text in ("+", "-") and self.peek.kind == "op":
            op = self.take().text
            self.term()
            self.program.append((op, None))

    def term(self) -> None:
        self.unary()
        while self.peek.text in ("*", "/") and self.peek.kind == "op":
            op = self.take().text
            self.unary()
            self.program.append((op, None))

    def unary(self) -> None:
        # Every way to nest (parentheses, function calls, unary signs, exponents) passes here.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"it is nested more than {MAX_DEPTH} levels deep", True)
        if self.peek == ("op", "-"):
            self.take()
            self.unary()
            self.program.append(("neg", None))
        elif self.peek == ("op", "+"):
            self.take()
            self.unary()
        else:
            self.power()
        self.depth -= 1

    def power(self) -> None:
        self.atom()
        if self.peek == ("op", "^"):
            self.take()
            self.unary()
            self.program.append(("^", None))

    def atom(self) -> None:
        token = self.take()
        if token.kind == "num":
            self.program.append(("const", float(token.text)))
        elif token.kind == "name" and self.peek == ("op", "("):
            if token.text not in _FUNCTIONS:
                self.fail(f"'{token.text}(' is a call, and only exp, log, sqrt and abs may be called", True)
            self.take()
            if self.peek == ("op", ")"):
                self.fail(f"{token.text}() needs one argument", False)
            self.expr()
            self.close()
            self.program.append((token.text, None))
        elif token.kind == "name":
            self.label(token.text)
        elif token == ("op", "("):
            if self.peek == ("op", ")"):
                self.fail("'()' is empty", False)
            self.expr()
            self.close()
        elif token.kind == "end":
            self.fail("it ends where a number, a label or '(' is expected", False)
        elif token.text == ")":
            self.fail("')' comes where a number, a label or '(' is expected", False)
        else:
            self.fail(f"'{token.text}' has nothing on its left", False)

    def label(self, name: str) -> None:
        known = self.known is not None and name in self.known  # a known label may look like anything
        if not known and name in _FUNCTIONS:
            self.fail(f"'{name}' is a function: write {name}(...)", True)
        if not known and (name.startswith("_") or "__" in name):
            self.fail(f"'{name}' is not a parameter label (names starting with '_' or "
                      f"containing '__' are accepted only when they label a parameter)", True)
        self.names.setdefault(name)
        self.program.append(("load", name))

    def close(self) -> None:
        if self.peek == ("op", ")"):
            self.take()
        elif self.peek.kind == "end":
            self.fail("a '(' is never closed", False)
        else:
            self.misplaced(self.peek)

    def misplaced(self, token: _Token) -> None:
        """A token right after a complete operand, where only an operator or ')' may come."""
        before = self.previous.text
        if token.text == ")":
            self.fail("a ')' has no matching '('", False)
        if token.kind == "name" and token.text.startswith("."):
            self.fail(f"'{token.text}' directly after '{before}': attribute access with '.' "
                      f"is not allowed", True)
        if token.text == "(":
            self.fail(f"'(' directly after '{before}': only exp, log, sqrt and abs may be called", True)
        self.fail(f"'{token.text}' follows '{before}' with no operator between them", True)


def _parse(text: str, shown: str, line: int | None, known: Collection[str] | None) -> Expression:
    if not isinstance(text, str):
        raise TypeError(f"an expression must be a str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise _error(shown, line, f"it is longer than {MAX_LENGTH} characters", forbidden=True)
    parser = _Parser(text, shown, line, known)
    try:
        parser.parse()
    except RecursionError:
        # Only reachable when the caller is already deep in the stack.
        raise _error(shown, line, "it is nested too deeply", forbidden=True) from None
    names = tuple(parser.names)
    if known is not None:
        unknown = [name for name in names if name not in known]
        if unknown:
            raise _error(shown, line, _unknown_problem(unknown, known), forbidden=None)
    return Expression(text.strip(), names, line, tuple(parser.program), shown)


def _unknown_problem(unknown: list[str], known: Collection[str]) -> str:
    quoted = ", ".join(f"'{name}'" for name in unknown)
    labels = sorted(known)
    listed = ", ".join(labels[:10]) + (f", ... ({len(labels)} in all)" if len(labels) > 10 else "")
    close = difflib.get_close_matches(unknown[0], labels, n=1)
    guess = f"; did you mean '{close[0]}'?" if close else ""
    return (f"{quoted} {'is not a parameter label' if len(unknown) == 1 else 'are not parameter labels'}"
            f" (labels: {listed or 'none'}{guess})")


def parse_expression(text: str, line: int | None = None,
                     known: Collection[str] | None = None) -> Expression:
    """Parse the right-hand side of ``:=`` or one side of a constraint.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"a*b"`` or ``"c + a*b"``.
    line : int, optional
        Line of the model syntax, named in error messages.
    known : collection of str, optional
        The labels the expression may use. When given, any other name is an error
        naming it and listing the known labels; labels starting with ``_`` or
        containing ``__`` are accepted only when listed here.

    Returns
    -------
    Expression

    Raises
    ------
    ExpressionError
        When the text is not a whitelisted expression (see the module docstring).

    Examples
    --------
    >>> parse_expression("-2^2").evaluate({})
    -4.0
    >>> parse_expression("ab + c", known={"ab", "c"}).names
    ('ab', 'c')
    >>> parse_expression("a + q", line=3, known={"a", "b"})
    Traceback (most recent call last):
    ...
    govstats.sem.expressions.ExpressionError: line 3: 'a + q': 'q' is not a parameter label (labels: a, b).
    """
    return _parse(text, text, line, known)


def parse_definition(name: str, text: str, line: int | None = None,
                     known: Collection[str] | None = None) -> Expression:
    """Parse the right-hand side of ``name := text``, naming the whole line in errors.

    Parameters
    ----------
    name : str
        The defined parameter (left of ``:=``); must be a label.
    text, line, known
        As for :func:`parse_expression`.

    Returns
    -------
    Expression
        The right-hand side; its ``text`` is ``text`` alone.

    Examples
    --------
    >>> parse_definition("ind", "a*b").names
    ('a', 'b')
    >>> parse_definition("d", "a**2", line=4)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govstats.sem.expressions.ExpressionError: line 4: 'd := a**2' is not allowed: '**' ... write '^' for powers...
    """
    shown = f"{name} := {text}"
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.startswith("_") or "__" in name:
        raise _error(shown, line, f"{name!r} cannot be defined: the left of ':=' must be a label", forbidden=True)
    return _parse(text, shown, line, known)


# --------------------------------------------------------------------------- evaluation

def _load(values: Mapping[str, object], name: str, expression: Expression) -> np.ndarray:
    try:
        value = values[name]
    except KeyError:
        raise expression._fail(f"no value was given for '{name}'") from None
    return np.asarray(value, dtype=float)


def _shape(values: Mapping[str, object], names: Sequence[str]) -> tuple[int, ...]:
    return np.broadcast_shapes(*(np.shape(values[name]) for name in names if name in values))


def _finish(value, shape: tuple[int, ...]):
    """Scalars in give floats out; arrays in give arrays of the inputs' broadcast shape."""
    if shape == ():
        return float(value)
    return np.array(np.broadcast_to(value, shape), dtype=float)


@dataclass(frozen=True)
class Expression:
    """A parsed, whitelisted arithmetic expression; build it with :func:`parse_expression`.

    Attributes
    ----------
    text : str
        The expression as written (stripped).
    names : tuple of str
        The labels it uses, in order of first appearance.
    line : int or None
        Line of the model syntax it came from.

    Examples
    --------
    >>> import numpy as np
    >>> e = parse_expression("a*b + c")
    >>> e.evaluate({"a": np.array([1.0, 2.0]), "b": 3.0, "c": 1.0})
    array([4., 7.])
    >>> e.gradient({"a": 2.0, "b": 3.0, "c": 1.0})
    {'a': 3.0, 'b': 2.0, 'c': 1.0}
    """

    text: str
    names: tuple[str, ...]
    line: int | None = None
    _program: tuple[tuple[str, object], ...] = field(default=(), repr=False)
    _shown: str = field(default="", repr=False, compare=False)

    def __str__(self) -> str:
        return self.text

    def _fail(self, problem: str) -> ExpressionError:
        return _error(self._shown or self.text, self.line, problem, forbidden=None)

    def evaluate(self, values: Mapping[str, float | np.ndarray]) -> float | np.ndarray:
        """Value of the expression.

        Parameters
        ----------
        values : mapping of str to float or ndarray
            A value for every name in :attr:`names`; arrays of shape (k,) evaluate k
            parameter vectors at once.

        Returns
        -------
        float or ndarray
            A float when all values used are scalars, else an array of their broadcast
            shape. Invalid operations give nan or inf, as in numpy, without warnings.
        """
        stack: list = []
        with np.errstate(all="ignore"):
            for op, arg in self._program:
                if op == "const":
                    stack.append(arg)
                elif op == "load":
                    stack.append(_load(values, arg, self))
                elif op == "neg":
                    stack[-1] = -stack[-1]
                elif op in _FUNCTIONS:
                    stack[-1] = _FUNCTIONS[op](stack[-1])
                else:
                    right = stack.pop()
                    stack[-1] = _BINARY[op](stack[-1], right)
        return _finish(stack[0], _shape(values, self.names))

    def gradient(self, values: Mapping[str, float | np.ndarray]) -> dict[str, float | np.ndarray]:
        """Exact derivatives with respect to every name in :attr:`names`.

        Forward-mode differentiation over the parsed program. ``abs`` has derivative
        ``sign``, 0 at 0; elsewhere the usual calculus rules under numpy semantics.

        Parameters
        ----------
        values : mapping of str to float or ndarray
            As for :meth:`evaluate`.

        Returns
        -------
        dict of str to float or ndarray
            One entry per name in :attr:`names` order, each shaped as :meth:`evaluate`'s result.
        """
        # Each stack entry is (value, {name: derivative}); absent names have derivative 0.
        stack: list[tuple[object, dict[str, object]]] = []
        with np.errstate(all="ignore"):
            for op, arg in self._program:
                if op == "const":
                    stack.append((arg, {}))
                elif op == "load":
                    stack.append((_load(values, arg, self), {arg: 1.0}))
                elif op == "neg":
                    u, du = stack[-1]
                    stack[-1] = (-u, {k: -d for k, d in du.items()})
                elif op in _FUNCTIONS:
                    stack[-1] = _function_rule(op, *stack[-1])
                else:
                    right = stack.pop()
                    stack[-1] = _binary_rule(op, *stack[-1], *right)
            derivatives = stack[0][1]
            shape = _shape(values, self.names)
            return {name: _finish(derivatives.get(name, 0.0), shape) for name in self.names}

    def _affine(self) -> tuple[dict[str, float], float] | None:
        """(coefficients, constant) when the expression is affine in its names, else None.

        Decided structurally: constants fold, a name-dependent part may be added,
        negated, multiplied or divided by a constant, or raised to the number 1;
        anything else involving a name (a product of two name-dependent parts, a
        function of one, a name in an exponent) makes it non-linear.
        """
        stack: list[tuple[dict[str, float], float] | None] = []
        with np.errstate(all="ignore"):
            for op, arg in self._program:
                if op == "const":
                    stack.append(({}, arg))
                elif op == "load":
                    stack.append(({arg: 1.0}, 0.0))
                elif op == "neg":
                    stack[-1] = None if stack[-1] is None else _scale(stack[-1], -1.0)
                elif op in _FUNCTIONS:
                    top = stack[-1]
                    stack[-1] = None if top is None or top[0] else ({}, float(_FUNCTIONS[op](top[1])))
                else:
                    right = stack.pop()
                    stack[-1] = _affine_rule(op, stack[-1], right)
        return stack[0]


def _function_rule(op: str, u, du: dict):
    if op == "exp":
        value = np.exp(u)
        factor = value
    elif op == "log":
        value, factor = np.log(u), 1.0 / u
    elif op == "sqrt":
        value = np.sqrt(u)
        factor = 0.5 / value
    else:
        value, factor = np.abs(u), np.sign(u)
    return value, {k: factor * d for k, d in du.items()}


def _binary_rule(op: str, u, du: dict, v, dv: dict):
    if op in ("+", "-"):
        sign = 1.0 if op == "+" else -1.0
        out = dict(du)
        for k, d in dv.items():
            out[k] = out[k] + sign * d if k in out else sign * d
        return (u + v if op == "+" else u - v), out
    if op == "*":
        value, du_factor, dv_factor = u * v, v, u
    elif op == "/":
        value = u / v
        du_factor, dv_factor = 1.0 / v, -value / v
    else:
        value = np.power(u, v)
        du_factor = v * np.power(u, v - 1.0)
        # log(u) only where the exponent depends on a name: a^2 stays defined for a <= 0.
        dv_factor = value * np.log(u) if dv else 0.0
    out = {k: du_factor * d for k, d in du.items()}
    for k, d in dv.items():
        out[k] = out[k] + dv_factor * d if k in out else dv_factor * d
    return value, out


def _scale(affine: tuple[dict[str, float], float], factor) -> tuple[dict[str, float], float]:
    coefficients, constant = affine
    return {k: float(c * factor) for k, c in coefficients.items()}, float(constant * factor)


def _affine_rule(op: str, left, right):
    if left is None or right is None:
        return None
    (lc, lk), (rc, rk) = left, right
    if op in ("+", "-"):
        sign = 1.0 if op == "+" else -1.0
        out = dict(lc)
        for k, c in rc.items():
            out[k] = out.get(k, 0.0) + sign * c
        return out, float(lk + sign * rk)
    if not lc and not rc:
        return {}, float(_BINARY[op](np.float64(lk), np.float64(rk)))
    if op == "*":
        return None if lc and rc else _scale(left, rk) if lc else _scale(right, lk)
    if op == "/":
        return None if rc else _scale(left, 1.0 / np.float64(rk))
    return left if not rc and rk == 1.0 else None  # '^': only x^1 keeps x affine


# --------------------------------------------------------------------------- constraints

@dataclass(frozen=True)
class Constraint:
    """``lhs op rhs`` with op one of ``==``, ``<``, ``>``; build it with :func:`parse_constraint`.

    The residual is oriented so that the constraint holds when it is 0 (``==``) or
    positive (``<`` and ``>``): ``lhs - rhs`` for ``==`` and ``>``, ``rhs - lhs`` for ``<``.

    Attributes
    ----------
    lhs, rhs : Expression
    op : str
    line : int or None

    Examples
    --------
    >>> c = parse_constraint("b1", "<", "2*b2")
    >>> c.residual({"b1": 1.0, "b2": 3.0})
    5.0
    >>> c.gradient({"b1": 1.0, "b2": 3.0})
    {'b1': -1.0, 'b2': 2.0}
    >>> c.is_linear, parse_constraint("a", "==", "b*c").is_linear
    (True, False)
    """

    lhs: Expression
    op: str
    rhs: Expression
    line: int | None = None
    _residual: Expression = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        first, second = (self.rhs, self.lhs) if self.op == "<" else (self.lhs, self.rhs)
        names = tuple(dict.fromkeys(self.lhs.names + self.rhs.names))
        residual = Expression(str(self), names, self.line,
                              first._program + second._program + (("-", None),), str(self))
        object.__setattr__(self, "_residual", residual)

    def __str__(self) -> str:
        return f"{self.lhs.text} {self.op} {self.rhs.text}"

    @property
    def names(self) -> tuple[str, ...]:
        """Labels used on either side, in order of first appearance."""
        return self._residual.names

    def residual(self, values: Mapping[str, float | np.ndarray]) -> float | np.ndarray:
        """The oriented residual (see the class docstring), vectorized like :meth:`Expression.evaluate`."""
        return self._residual.evaluate(values)

    def gradient(self, values: Mapping[str, float | np.ndarray]) -> dict[str, float | np.ndarray]:
        """Derivatives of :meth:`residual` with respect to every name in :attr:`names`."""
        return self._residual.gradient(values)

    @property
    def is_linear(self) -> bool:
        """Whether the residual is affine in the labels (decided from the expression's structure)."""
        return self._residual._affine() is not None

    def linear_coefficients(self) -> tuple[dict[str, float], float]:
        """The residual as ``sum(coef[name] * name) + constant``.

        Returns
        -------
        coefficients : dict of str to float
            One entry per name in :attr:`names` (0.0 when the name cancels out).
        constant : float

        Raises
        ------
        ExpressionError
            When the constraint is not linear.
        """
        affine = self._residual._affine()
        if affine is None:
            raise self._residual._fail("the constraint is not linear in the parameters")
        coefficients, constant = affine
        return {name: coefficients.get(name, 0.0) for name in self.names}, constant


def parse_constraint(lhs: str, op: str, rhs: str, line: int | None = None,
                     known: Collection[str] | None = None) -> Constraint:
    """Parse a constraint such as ``a == b``, ``a > 0`` or ``a1 == a2 + a3``.

    Parameters
    ----------
    lhs, rhs : str
        The two sides.
    op : {'==', '<', '>'}
    line, known
        As for :func:`parse_expression`; errors name the whole constraint.

    Returns
    -------
    Constraint

    Examples
    --------
    >>> parse_constraint("a", "==", "b/2").linear_coefficients()
    ({'a': 1.0, 'b': -0.5}, 0.0)
    """
    shown = f"{lhs} {op} {rhs}"
    if op not in _CONSTRAINT_OPS:
        raise _error(shown, line, f"{op!r} is not a constraint operator (use ==, < or >)", forbidden=True)
    return Constraint(_parse(lhs, shown, line, known), op, _parse(rhs, shown, line, known), line)


# --------------------------------------------------------------------------- defined parameters

def _check_order(definitions: Sequence[tuple[str, Expression]], available: Collection[str]) -> None:
    defined_at = {name: i for i, (name, _) in enumerate(definitions)}
    seen = set(available)
    for i, (name, expression) in enumerate(definitions):
        for used in expression.names:
            if used in seen:
                continue
            if defined_at.get(used, -1) >= i:
                problem = f"'{used}' is defined on a later line; define it before it is used"
            else:
                problem = f"no value was given for '{used}'"
            raise _error(f"{name} := {expression.text}", expression.line, problem, forbidden=None)
        seen.add(name)


def parse_definitions(table) -> list[tuple[str, Expression]]:
    """A parameter table's ``:=`` rows as (name, Expression), in syntax order; a definition may use
    the labels of the model's parameters and earlier definitions."""
    labels = {lab for lab, op in zip(table.label, table.op) if lab and op != ":="}
    out: list[tuple[str, Expression]] = []
    defined = table[table.op == ":="]
    for lhs, rhs, line in zip(defined.lhs, defined.rhs, defined.line):
        out.append((lhs, parse_definition(lhs, rhs, line=int(line), known=labels | {d for d, _ in out})))
    return out


def evaluate_defined(definitions: Sequence[tuple[str, Expression]],
                     values: Mapping[str, float | np.ndarray]) -> dict[str, float | np.ndarray]:
    """Values of ``:=`` parameters, in order; a definition may use any earlier one.

    Parameters
    ----------
    definitions : sequence of (name, Expression)
        In the order of the model syntax.
    values : mapping of str to float or ndarray
        Parameter values by label; arrays of shape (k,) evaluate k parameter vectors.

    Returns
    -------
    dict of str to float or ndarray
        Floats for scalar values, else arrays of the values' broadcast shape.

    Examples
    --------
    >>> defs = [("ab", parse_expression("a*b")), ("tot", parse_expression("ab + c"))]
    >>> evaluate_defined(defs, {"a": 2.0, "b": 3.0, "c": 1.0})
    {'ab': 6.0, 'tot': 7.0}
    """
    _check_order(definitions, values)
    shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()))
    scope = dict(values)
    out = {}
    for name, expression in definitions:
        scope[name] = out[name] = _finish(expression.evaluate(scope), shape)
    return out


def defined_jacobian(definitions: Sequence[tuple[str, Expression]],
                     values: Mapping[str, float | np.ndarray],
                     parameter_names: Sequence[str]) -> np.ndarray:
    """Derivatives of the ``:=`` parameters with respect to the parameters, through earlier definitions.

    Parameters
    ----------
    definitions : sequence of (name, Expression)
        As for :func:`evaluate_defined`.
    values : mapping of str to float or ndarray
        As for :func:`evaluate_defined`.
    parameter_names : sequence of str
        The labels to differentiate by (columns); other names in ``values`` are held fixed.

    Returns
    -------
    ndarray
        Shape (n_defined, n_parameters), or (k, n_defined, n_parameters) when the values
        are arrays of shape (k,).

    Examples
    --------
    >>> defs = [("ab", parse_expression("a*b")), ("tot", parse_expression("ab + c"))]
    >>> defined_jacobian(defs, {"a": 2.0, "b": 3.0, "c": 1.0}, ["a", "b", "c"])
    array([[3., 2., 0.],
           [3., 2., 1.]])
    """
    _check_order(definitions, values)
    shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()))
    columns = {name: j for j, name in enumerate(parameter_names)}
    scope = dict(values)
    rows: dict[str, np.ndarray] = {}  # d(defined)/d(parameters), shape (*shape, n_parameters)
    for name, expression in definitions:
        row = np.zeros(shape + (len(parameter_names),))
        for used, derivative in expression.gradient(scope).items():
            if used in rows:
                row += np.asarray(derivative)[..., None] * rows[used]
            elif used in columns:
                row[..., columns[used]] += derivative
        scope[name] = _finish(expression.evaluate(scope), shape)
        rows[name] = row
    if not definitions:
        return np.zeros(shape + (0, len(parameter_names)))
    return np.stack([rows[name] for name, _ in definitions], axis=-2)
