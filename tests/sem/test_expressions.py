"""The whitelisted expression language of := and constraints: values, derivatives, linearity, refusals."""

from __future__ import annotations

import ast
import contextlib
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govstats.errors import GovstatsError
from govstats.sem import expressions
from govstats.sem.expressions import (
    MAX_DEPTH,
    Constraint,
    ExpressionError,
    defined_jacobian,
    evaluate_defined,
    parse_constraint,
    parse_definition,
    parse_expression,
)
from govstats.sem.syntax import ModelSyntaxError

VALUES = {"a": 0.7, "b": 1.3, "c": 0.4}


@pytest.mark.parametrize("text, expected", [
    ("-2^2", -4.0),
    ("2^3^2", 512.0),
    ("(-2)^2", 4.0),
    ("2^-1", 0.5),
    ("-2^-2", -0.25),
    ("2*3^2", 18.0),
    ("1 - 2 - 3", -4.0),
    ("12 / 3 / 2", 2.0),
    ("1 + 2*3", 7.0),
    ("-3*-2", 6.0),
    ("+-+2", -2.0),
    ("--2", 2.0),
    (".5 + 1e-3 + 2.5E2 + 3.", 253.501),
    ("exp(log(a))", 0.7),
    ("a*b/(c+a*b)", 0.7 * 1.3 / (0.4 + 0.7 * 1.3)),
    ("c + a*b", 0.4 + 0.7 * 1.3),
    ("sqrt(abs(-a))", math.sqrt(0.7)),
    ("a^2", 0.49),
    ("a^b^c", 0.7 ** (1.3 ** 0.4)),
    ("-a^2", -0.49),
])
def test_precedence_matches_r(text, expected):
    assert parse_expression(text).evaluate(VALUES) == pytest.approx(expected, rel=1e-14)


def test_names_in_order_of_first_appearance_and_dotted_labels():
    e = parse_expression("c*a.1 + .p1. - c/a.1 + a_b")
    assert e.names == ("c", "a.1", ".p1.", "a_b")
    assert str(e) == "c*a.1 + .p1. - c/a.1 + a_b"
    assert e.evaluate({"c": 2.0, "a.1": 4.0, ".p1.": 1.0, "a_b": 0.5}) == pytest.approx(9.0)


def test_expression_is_immutable_and_hashable():
    e = parse_expression("a*b")
    with pytest.raises(AttributeError):
        e.text = "a"
    assert e == parse_expression("a*b")
    assert len({e, parse_expression("a*b")}) == 1


def test_numpy_semantics_without_warnings():
    with np.errstate(all="raise"):  # the expression must switch these off itself
        assert math.isnan(parse_expression("log(a)").evaluate({"a": -1.0}))
        assert math.isnan(parse_expression("a^0.5").evaluate({"a": -1.0}))
        assert parse_expression("1/a").evaluate({"a": 0.0}) == math.inf


def test_missing_value_is_an_expression_error():
    with pytest.raises(ExpressionError, match=r"line 2: 'a\*b': no value was given for 'b'"):
        parse_expression("a*b", line=2).evaluate({"a": 1.0})


def test_vectorized_evaluation_equals_a_loop():
    rng = np.random.default_rng(1)
    k = 9
    values = {name: rng.uniform(0.2, 2.0, k) for name in "abc"}
    for text in ["a*b/(c+a*b)", "exp(log(a)) - b^2", "sqrt(a)*abs(b - c)", "-a^b^c", "3"]:
        e = parse_expression(text)
        vector = e.evaluate(values)
        loop = [e.evaluate({name: v[i] for name, v in values.items()}) for i in range(k)]
        if e.names:
            assert vector.shape == (k,)
        np.testing.assert_allclose(vector, loop, rtol=1e-14)
    # scalars mix with vectors; a constant sub-expression broadcasts
    got = parse_expression("a*2 + b").evaluate({"a": values["a"], "b": 1.0})
    np.testing.assert_allclose(got, values["a"] * 2 + 1.0)


GRADIENT_CASES = [
    "a*b",
    "c + a*b",
    "a*b/(c + a*b)",
    "exp(log(a))",
    "a^2",
    "a^b",
    "2^a^b",
    "sqrt(a*b + c^2)",
    "log(1 + exp(-a*b))",
    "exp(sqrt(abs(a)))*log(b)",
    "(a + b)^(c/2)",
    "a/b/c",
    "-(a - b)*-c",
    "sqrt(exp(a)/(1 + exp(a)))",
    "a^-1.5 - b^3 + c^0.5",
    "abs(a - 3*b)",
    "log(log(2 + a)*b)^2",
    "a - a + b",
]


@pytest.mark.parametrize("text", GRADIENT_CASES)
def test_gradient_matches_central_differences(text):
    rng = np.random.default_rng(abs(hash(text)) % 2**32)
    k = 6
    values = {name: rng.uniform(0.3, 1.8, k) for name in "abc"}
    e = parse_expression(text)
    gradient = e.gradient(values)
    assert list(gradient) == list(e.names)
    for name in e.names:
        h = 1e-6 * np.maximum(1.0, np.abs(values[name]))
        up, down = dict(values), dict(values)
        up[name] = values[name] + h
        down[name] = values[name] - h
        numeric = (e.evaluate(up) - e.evaluate(down)) / (2 * h)
        assert gradient[name].shape == (k,)
        np.testing.assert_allclose(gradient[name], numeric, rtol=1e-6, atol=1e-8)
    # the scalar path agrees with the vectorized one
    first = e.gradient({name: v[0] for name, v in values.items()})
    for name in e.names:
        assert isinstance(first[name], float)
        assert first[name] == pytest.approx(gradient[name][0], rel=1e-12)


def test_gradient_of_power_with_a_fixed_exponent_at_a_nonpositive_base():
    # the log(base) term must not leak nan when the exponent is a number
    assert parse_expression("a^2").gradient({"a": -3.0}) == {"a": -6.0}
    assert parse_expression("a^2").gradient({"a": 0.0}) == {"a": 0.0}


def test_chained_definitions():
    defs = [
        ("ab", parse_definition("ab", "a*b")),
        ("tot", parse_definition("tot", "ab + c")),
        ("prop", parse_definition("prop", "ab/tot")),
        ("two", parse_definition("two", "2")),
    ]
    values = {"a": 0.5, "b": 2.0, "c": 3.0}
    assert evaluate_defined(defs, values) == pytest.approx({"ab": 1.0, "tot": 4.0, "prop": 0.25, "two": 2.0})

    names = ["a", "b", "c"]
    jac = defined_jacobian(defs, values, names)
    assert jac.shape == (4, 3)
    # prop = ab / (ab + c): d/dab = c/tot^2 = 3/16, d/dc = -ab/tot^2 = -1/16
    expected = np.array([[2.0, 0.5, 0.0],
                         [2.0, 0.5, 1.0],
                         [2.0 * 3 / 16, 0.5 * 3 / 16, -1 / 16],
                         [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(jac, expected, rtol=1e-14)

    # vectorized: k parameter vectors at once, each equal to its own scalar computation
    rng = np.random.default_rng(3)
    vectors = {name: rng.uniform(0.5, 2.0, 5) for name in names}
    values_k = evaluate_defined(defs, vectors)
    jac_k = defined_jacobian(defs, vectors, names)
    assert jac_k.shape == (5, 4, 3)
    assert values_k["two"].shape == (5,)
    for i in range(5):
        one = {name: v[i] for name, v in vectors.items()}
        np.testing.assert_allclose(jac_k[i], defined_jacobian(defs, one, names), rtol=1e-14)
        for name, value in evaluate_defined(defs, one).items():
            assert values_k[name][i] == pytest.approx(value, rel=1e-14)

    # against finite differences through the whole chain
    h = 1e-6
    for j, name in enumerate(names):
        up, down = dict(values), dict(values)
        up[name] += h
        down[name] -= h
        plus, minus = evaluate_defined(defs, up), evaluate_defined(defs, down)
        numeric = [(plus[d] - minus[d]) / (2 * h) for d, _ in defs]
        np.testing.assert_allclose(jac[:, j], numeric, rtol=1e-6, atol=1e-9)


def test_defined_jacobian_ignores_labels_outside_the_parameters():
    defs = [("d", parse_expression("a*z"))]
    np.testing.assert_allclose(defined_jacobian(defs, {"a": 2.0, "z": 5.0}, ["a"]), [[5.0]])
    assert defined_jacobian([], {"a": np.ones(3)}, ["a"]).shape == (3, 0, 1)


def test_definition_used_before_it_is_defined():
    defs = [("tot", parse_definition("tot", "ab + c", line=4)), ("ab", parse_definition("ab", "a*b", line=5))]
    with pytest.raises(ExpressionError, match=r"line 4: 'tot := ab \+ c': 'ab' is defined on a later line"):
        evaluate_defined(defs, {"a": 1.0, "b": 1.0, "c": 1.0})


@pytest.mark.parametrize("lhs, op, rhs, coefficients, constant", [
    ("a1", "==", "a2 + 2*a3 - 1", {"a1": 1.0, "a2": -1.0, "a3": -2.0}, 1.0),
    ("a", "==", "b/2", {"a": 1.0, "b": -0.5}, 0.0),
    ("a", "==", "b", {"a": 1.0, "b": -1.0}, 0.0),
    ("a", ">", "0", {"a": 1.0}, 0.0),
    ("b1", "<", "2*b2", {"b1": -1.0, "b2": 2.0}, 0.0),
    ("-(a - 3)*2^2", "==", "b^1 + log(exp(2))", {"a": -4.0, "b": -1.0}, 10.0),
    ("a + b", "==", "b", {"a": 1.0, "b": 0.0}, 0.0),
    ("2*(a + b)/4", ">", "c*sqrt(4)", {"a": 0.5, "b": 0.5, "c": -2.0}, 0.0),
])
def test_linear_constraints(lhs, op, rhs, coefficients, constant):
    c = parse_constraint(lhs, op, rhs)
    assert c.is_linear
    got, k = c.linear_coefficients()
    assert got == pytest.approx(coefficients)
    assert list(got) == list(c.names)
    assert k == pytest.approx(constant)
    # the affine form reproduces the residual
    values = {name: 0.3 + i for i, name in enumerate(c.names)}
    assert c.residual(values) == pytest.approx(sum(got[n] * values[n] for n in c.names) + k)


@pytest.mark.parametrize("lhs, rhs", [
    ("a", "b*c"), ("a", "2/b"), ("a", "exp(b)"), ("a", "b^2"), ("a", "2^b"), ("a", "abs(b)"),
    ("a", "b^c"), ("a*a", "1"), ("a", "b/(c + 1)"),
])
def test_nonlinear_constraints(lhs, rhs):
    c = parse_constraint(lhs, "==", rhs)
    assert not c.is_linear
    with pytest.raises(ExpressionError, match="not linear"):
        c.linear_coefficients()


def test_constraint_residual_orientation_and_gradient():
    values = {"a": 2.0, "b": 0.5}
    assert parse_constraint("a", "==", "b").residual(values) == 1.5
    assert parse_constraint("a", ">", "b").residual(values) == 1.5   # holds: positive
    assert parse_constraint("a", "<", "b").residual(values) == -1.5  # violated: negative
    c = parse_constraint("a", "<", "b^2", line=9)
    assert isinstance(c, Constraint)
    assert (c.lhs.text, c.op, c.rhs.text, c.names, str(c)) == ("a", "<", "b^2", ("a", "b"), "a < b^2")
    assert c.gradient(values) == {"a": -1.0, "b": 1.0}
    vector = c.residual({"a": np.array([0.0, 1.0]), "b": np.array([1.0, 2.0])})
    np.testing.assert_array_equal(vector, [1.0, 3.0])


def test_constraint_errors_name_the_whole_constraint():
    with pytest.raises(ExpressionError, match=r"line 3: 'a == b\*\*2' is not allowed: '\*\*'.*'\^'"):
        parse_constraint("a", "==", "b**2", line=3)
    with pytest.raises(ExpressionError, match=r"'a <= b' is not allowed: '<=' is not a constraint operator"):
        parse_constraint("a", "<=", "b")


def test_known_labels():
    known = ["a", "b", "c", "_p", "x__y", "exp"]
    assert parse_expression("_p + x__y + exp + exp(a)", known=known).names == ("_p", "x__y", "exp", "a")
    with pytest.raises(ExpressionError) as info:
        parse_expression("a + bb + q", line=12, known=known)
    message = str(info.value)
    assert message.startswith("line 12: 'a + bb + q': 'bb', 'q' are not parameter labels")
    assert "labels: _p, a, b, c, exp, x__y" in message
    assert info.value.line == 12 and info.value.expression == "a + bb + q"
    with pytest.raises(ExpressionError, match=r"'d := a \* zz': 'zz' is not a parameter label"):
        parse_definition("d", "a * zz", known=known)


def test_definition_name_must_be_a_label():
    with pytest.raises(ExpressionError, match=r"line 1: '__x := a'"):
        parse_definition("__x", "a", line=1)


def test_error_hierarchy():
    assert issubclass(ExpressionError, ModelSyntaxError)
    assert issubclass(ExpressionError, GovstatsError)


DEEP = "(" * 10_000 + "a" + ")" * 10_000
HOSTILE = [
    "(a).__class__.__mro__[1].__subclasses__().__len__()",
    "__import__('os')",
    "__import__",
    "open('x')",
    "a if b else c",
    "lambda: 1",
    "a**2",
    "a[0]",
    '"s"',
    "'s'",
    "a; b",
    "a.b(1)",
    "globals()",
    "(a).real",
    "a .real",
    "_a",
    "a.__class__",
    # Refused on purpose: R would read it as Inf, but a non-finite literal is never intended.
    "1e99999999",
    DEEP,
    "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
    "-" * 500 + "a",
    "2^" * 300 + "2",
    "exp(" * 200 + "a" + ")" * 200,
    "a,b",
    "exp(a, b)",
    "a = 1",
    "a == 1",
    "a < 1",
    "`a`",
    "a@b",
    "a$b",
    "a %% b",
    "{a}",
    "~a",
    "!a",
    "2a",
    "0x1F",
    "1L",
    "a b",
    "(a)(b)",
    "exp",
    "exp()",
    "exp a",
    "",
    "   ",
    "(a",
    "a)",
    "a +",
    "* a",
    "()",
    "é",
    "²",
    "a + ٣",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t if len(t) < 40 else t[:30] + "...")
def test_hostile_input_is_refused(text):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, line=7)
    message = str(info.value)
    assert message.startswith("line 7: ")
    assert (f"'{text}'" if len(text) <= 200 else text[:150]) in message


def test_attribute_access_message_names_the_dot():
    with pytest.raises(ExpressionError) as info:
        parse_definition("d", "(a).__class__", line=7)
    assert str(info.value).startswith("line 7: 'd := (a).__class__' is not allowed: '.__class__' directly "
                                      "after ')': attribute access with '.' is not allowed; only numbers,")


def test_limits():
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert parse_expression(ok).evaluate({"a": 2.0}) == 2.0
    long_sum = "+".join(["a"] * 4000)  # long but flat: fine, and evaluated without recursion
    assert parse_expression(long_sum).evaluate({"a": 1.0}) == 4000.0
    with pytest.raises(ExpressionError, match="longer than 10000 characters"):
        parse_expression("a" * 10_001)
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH} levels"):
        parse_expression("-" * (MAX_DEPTH + 1) + "a")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab.1e_()+-*/^, exp log sqrt abs[]'\"=;:", max_size=40))
def test_arbitrary_text_parses_or_raises_expression_error(text):
    try:
        e = parse_expression(text)
    except ExpressionError:
        return
    values = {name: 0.5 for name in e.names}
    e.evaluate(values)
    e.gradient(values)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_arbitrary_unicode_parses_or_raises_expression_error(text):
    with contextlib.suppress(ExpressionError):
        parse_expression(text)


def test_module_never_hands_text_to_the_python_evaluator():
    source = Path(expressions.__file__).read_text()
    tree = ast.parse(source)
    forbidden = {"eval", "exec", "compile", "__import__", "getattr", "globals", "locals", "vars"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id not in forbidden, node.id
        if isinstance(node, ast.Attribute):
            # re.compile builds the tokenizer's patterns; it is the only attribute of that name allowed
            is_regex = node.attr == "compile" and isinstance(node.value, ast.Name) and node.value.id == "re"
            assert is_regex or node.attr not in forbidden, node.attr
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            assert not {"ast", "builtins", "importlib", "code", "codeop"} & set(modules), modules

