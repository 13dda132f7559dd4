"""Path-diagram layout: roles left to right, layers by the regressions, no arrow inside a column."""

import pytest

from govstats import load_instrument
from govstats.reporting.layout import ROLE_ORDER, columns, depths, layout
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path


@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_seed_instruments_read_left_to_right_by_role(name):
    inst = load_instrument(seed_instrument_path(name))
    nodes = [c.id for c in inst.modeled_constructs]
    edges = [(p.predictor, p.outcome) for p in inst.model.paths]
    roles = {c.id: c.role for c in inst.constructs}
    place = layout(nodes, edges, roles)
    rank = {n: ROLE_ORDER.index(roles[n]) for n in nodes}
    # every factor left of every mechanism, every mechanism left of every outcome
    for a in nodes:
        for b in nodes:
            if rank[a] < rank[b]:
                assert place[a][0] < place[b][0], (a, b, place)
    # every arrow points right: none runs inside a column or backwards
    for a, b in edges:
        assert place[a][0] < place[b][0], (a, b)
    # rows of one column are distinct and centred on 0
    for c in {col for col, _ in place.values()}:
        rows = sorted(r for n, (col, r) in place.items() if col == c)
        assert len(set(rows)) == len(rows) and abs(sum(rows)) < 1e-9


def test_plain_syntax_is_layered_by_the_longest_chain():
    edges = [("x", "m1"), ("m1", "m2"), ("x", "y"), ("m2", "y"), ("w", "m2")]
    col = columns(["x", "w", "m1", "m2", "y"], edges)
    assert col == {"x": 0, "w": 0, "m1": 1, "m2": 2, "y": 3}


def test_roles_split_into_sub_columns_when_they_predict_each_other():
    # platform_dilemma's mechanisms form a chain RD -> AU -> EB
    roles = {"GP": "factor", "RD": "mechanism", "AU": "mechanism", "EB": "mechanism", "PP": "outcome"}
    edges = [("GP", "RD"), ("RD", "AU"), ("AU", "EB"), ("EB", "PP"), ("GP", "PP")]
    assert columns(list(roles), edges, roles) == {"GP": 0, "RD": 1, "AU": 2, "EB": 3, "PP": 4}


def test_a_feedback_loop_does_not_recurse_forever():
    d = depths(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "b")])
    assert d == {"a": 0, "b": 1, "c": 2}  # the loop closed by c -> b is set aside


def test_barycentres_uncross_two_parallel_chains():
    # listed crosswise: a1 feeds b2, a2 feeds b1; the layout puts each b beside its predictor
    place = layout(["a1", "a2", "b2", "b1"], [("a1", "b2"), ("a2", "b1")])
    assert (place["a1"][1] < place["a2"][1]) == (place["b2"][1] < place["b1"][1])
