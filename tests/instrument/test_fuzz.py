"""Property-based: random mutations of a valid instrument load or raise InstrumentError, never crash."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govstats import Instrument, InstrumentError, load_instrument
from tests_support import readme_example_text

pytestmark = pytest.mark.slow  # hundreds of generated instruments

EXAMPLE = yaml.safe_load(readme_example_text())

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.sampled_from(["PS", "agree5", "gender", "factor", "PS1", "role", "~~", "zh"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), inner, max_size=3)),
    max_leaves=6)


def locations(node, here=()):
    yield here
    if isinstance(node, dict):
        for k, v in node.items():
            yield from locations(v, here + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from locations(v, here + (i,))


def mutate(doc, data):
    locs = list(locations(doc))[1:]
    loc = data.draw(st.sampled_from(locs), label="location")
    parent = doc
    for part in loc[:-1]:
        parent = parent[part]
    action = data.draw(st.sampled_from(["delete", "replace", "duplicate"]), label="action")
    key = loc[-1]
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = data.draw(values, label="value")
    elif isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    else:
        parent[key] = copy.deepcopy(parent[key]) if not isinstance(parent[key], str) else parent[key] * 2


def load_or_error(path):
    try:
        assert isinstance(load_instrument(path), Instrument)
    except InstrumentError as exc:
        assert exc.problems, "an InstrumentError must carry its problems"
        for p in exc.problems:
            assert p.code and p.message and p.file


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_structural_mutations_never_crash(write, data):
    doc = copy.deepcopy(EXAMPLE)
    for _ in range(data.draw(st.integers(1, 3), label="n mutations")):
        mutate(doc, data)
    load_or_error(write(yaml.safe_dump(doc, allow_unicode=True)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 4000), junk=st.text(max_size=6))
def test_text_mutations_never_crash(write, cut, junk):
    text = readme_example_text()
    cut = cut % len(text)
    load_or_error(write(text[:cut] + junk + text[cut + len(junk):]))
