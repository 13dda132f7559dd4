"""Property-based: any text given as model syntax parses or raises ModelSyntaxError (naming a line
when it has one), never another exception.

(Fitting the parsed models to data found estimation crashes that belong to the engine, e.g. every
parameter fixed, 'x2 ~~ 0.5*x2', or starting values whose implied covariance matrix is not positive
definite; they are reported there, and the command line shows them as an internal error, without a
traceback.)"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govstats.sem.syntax import ModelSyntaxError, parse_model

pytestmark = pytest.mark.slow  # hundreds of generated models

# Pieces that make near-valid syntax, plus hostile ones: full-width operators, numbers that
# overflow, Chinese names, stray brackets and quotes, comments and separators.
TOKENS = ["F", "G", "x1", "x2", "x3", "y1", "认同1", "因子", "=~", "~", "~~", "~1", ":=", "==", "<", ">",
          "|", "~*~", "<~", "+", "*", "1", "0.5", "NA", "1e400", "-1e999", "1e200", "start(0.3)", "c(1,NA)",
          "c(a,b)", "a", "b", "label('q')", "equal('a')", "t1", "(", ")", ",", ";", "#", "!", "\n", " ", "＋",
          "＝～", "～～", "（", "：", "level:", "group:", "efa('e')*", "'", '"', "%", "\t", "\x00", "1、", "a*b",
          "exp(a)", "__import__"]
NAMES = ["F", "G", "x1", "x2", "x3", "y1", "认同1", "因子"]
MODIFIERS = ["", "", "", "0.5*", "NA*", "a*", "b*", "start(0.3)*", "1e400*", "-2*", "c(1)*", "equal('a')*"]
term = st.builds(lambda m, n: m + n, st.sampled_from(MODIFIERS), st.sampled_from(NAMES + ["1"]))
formula = st.builds(lambda lhs, op, terms: f"{lhs} {op} {' + '.join(terms)}", st.sampled_from(NAMES),
                    st.sampled_from(["=~", "=~", "~", "~~", "<~"]), st.lists(term, min_size=1, max_size=4))
# Near-valid models (formulas, sometimes with a hostile token), random token strings, and any text.
models = st.builds(lambda lines, noise: "\n".join(lines + noise), st.lists(formula, min_size=1, max_size=4),
                   st.lists(st.sampled_from(TOKENS), max_size=2))
syntax = models | st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join) | st.text(max_size=60)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(syntax)
def test_any_text_parses_or_is_a_located_syntax_error(text):
    try:
        formulas = parse_model(text)
    except ModelSyntaxError as exc:
        message = str(exc)
        assert message
        assert re.match(r"^line \d+: ", message) or "model syntax" in message.lower()
        return
    assert formulas and all(f.line >= 1 for f in formulas)
