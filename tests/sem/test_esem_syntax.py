"""efa("...")* blocks: parsing, the parameter table's identification rows, and what is refused
by name (with the line) rather than fitted wrongly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from govstats import fit
from govstats.sem.partable import build_partable
from govstats.sem.syntax import ModelSyntaxError, parse_model

REPO = Path(__file__).resolve().parents[2]
HS = pd.read_csv(REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
ESEM = 'efa("b1")*f1 + efa("b1")*f2 =~ x1 + x2 + x3 + x4 + x5 + x6'


@pytest.mark.parametrize("lhs", ['efa("b1")*f1 + efa("b1")*f2', "efa('b1')*f1 + efa('b1')*f2",
                                 "efa(b1) * f1 + efa( \"b1\" )*f2"])
def test_efa_modifier_spellings(lhs):
    formulas = parse_model(f"{lhs} =~ x1 + x2 + x3")
    assert [(f.lhs, f.efa) for f in formulas][:4] == [("f1", "b1"), ("f1", "b1"), ("f1", "b1"), ("f2", "b1")]


def test_echelon_rows_and_factor_variances():
    table, _ = build_partable(parse_model(ESEM + "\nspeed =~ x7 + x8 + x9"))
    rows = table.set_index(["lhs", "op", "rhs"])
    assert rows.loc[("f2", "=~", "x1"), "user"] == 7 and rows.loc[("f2", "=~", "x1"), "free"] == 0
    assert rows.loc[("f1", "=~", "x1"), "free"] > 0               # no first-loading fix in a block
    assert rows.loc[("speed", "=~", "x7"), "free"] == 0           # but in the CFA factor
    assert rows.loc[("f1", "~~", "f1"), "ustart"] == 1 and rows.loc[("f1", "~~", "f1"), "free"] == 0
    assert rows.loc[("f1", "~~", "f2"), "user"] == 7
    assert rows.loc[("f1", "~~", "speed"), "free"] > 0           # not in the block: free as usual
    assert set(table.efa[table.op == "=~"]) == {"b1", ""}


@pytest.mark.parametrize("line, message", [
    ('efa("b1")*f1 ~ x1', "modifier of the factors on the left of '=~' only"),
    ('f1 =~ efa("b1")*x1 + x2', "modifier of the factors on the left of '=~' only"),
    ('efa()*f1 + efa("b1")*f2 =~ x1 + x2', "efa"),
    ('efa("")*f1 + efa("")*f2 =~ x1 + x2', "needs a name"),
])
def test_misplaced_efa_modifiers_are_refused_with_the_line(line, message):
    with pytest.raises(ModelSyntaxError, match=f"line 2: .*{message}"):
        parse_model(f"v =~ x7 + x8 + x9\n{line}")


def test_a_factor_in_two_blocks_is_refused():
    with pytest.raises(ModelSyntaxError, match="line 2: the factor 'f1' is in efa block 'b2'"):
        fit(ESEM + '\nefa("b2")*f1 =~ x7', HS)


@pytest.mark.parametrize("kwargs, message", [
    ({"group": "school", "group_equal": "loadings"}, "group_equal"),
    ({"estimator": "DWLS"}, "estimator='DWLS'"),
    ({"estimator": "WLS"}, "estimator='WLS'"), ({"estimator": "MLMV"}, "estimator='MLMV'"),
    ({"missing": "fiml.x"}, "missing='fiml.x'"), ({"se": "bootstrap", "bootstrap": 10}, "se='bootstrap'|bootstrap"),
])
def test_fits_not_available_with_efa_blocks_are_refused_naming_the_line(kwargs, message):
    with pytest.raises(ValueError, match=f"line 1.*({message})|({message}).*line 1"):
        fit(ESEM, HS, **kwargs)


def test_delta_standard_errors_with_defined_parameters_are_refused():
    with pytest.raises(ValueError, match="rotation_se='delta' and defined parameters .*line 3"):
        fit(ESEM + "\nx1 ~~ a*x2\nd := 2*a", HS, rotation_se="delta")


def test_constraints_with_efa_blocks_are_refused():
    with pytest.raises(ValueError, match="constraints .*line 2"):
        fit('efa("b1")*f1 + efa("b1")*f2 =~ x1 + a*x2 + b*x3 + x4 + x5 + x6\na == b', HS)


@pytest.mark.parametrize("kwargs, message", [
    ({"rotation": "promax"}, "rotation 'promax' .* not available"),
    ({"rotation": "quartimax"}, "oblique rotation .* has no minimum"),
    ({"rotation": "target"}, "needs rotation_args\\['target'\\]"),
    ({"rotation": "target", "rotation_args": {"target": [[0.5, 0.0]] * 5}}, "target'\\] is 5 x 2, but efa block"),
    ({"rotation_args": {"target": [[0.5, 0.0]] * 6}}, "applies to rotation='target'"),
    ({"rotation_args": {"cf_gamma": 0.3}}, "has no effect"),
    ({"rotation": "nonsense"}, "'rotation' parameter of fit must be one of"),
    ({"rotation_se": "numerical"}, "'rotation_se' parameter of fit must be one of"),
    ({"rotation_args": {"orthogonal": "yes"}}, "orthogonal"),
    ({"rotation_args": {"row.weights": "cureton-mulaik"}}, "row_weights"),
    ({"rotation_args": {"algorithm": "pairwise"}}, "algorithm"),
    ({"rotation_args": {"rstarts": -1}}, "rstarts"),
    ({"rotation_args": {"bogus": 1}}, "unknown entry 'bogus'"),
    ({"rotation_args": [("rstarts", 5)]}, "must be a mapping"),
])
def test_rotation_options_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit(ESEM, HS, **kwargs)


def test_rotation_options_replay_and_reach_the_fit():
    res = fit(ESEM, HS, rotation="oblimin", rotation_args={"oblimin.gamma": 0.2, "rstarts": 5})
    assert res.options["rotation"] == "oblimin" and res.options["rotation_args"]["oblimin_gamma"] == 0.2
    again = fit(ESEM, HS, **res.options)
    pd.testing.assert_frame_equal(res.params, again.params)
    default = fit(ESEM, HS, rotation="oblimin", rotation_args={"rstarts": 5})
    assert not res.params.est.equals(default.params.est)      # gamma reached the rotation


def test_modification_indices_and_power_models_with_efa_blocks_are_refused():
    from govstats.planning.population import population_from_syntax

    with pytest.raises(ValueError, match="Modification indices .*exploratory SEM"):
        fit(ESEM, HS).modindices()
    with pytest.raises(ValueError, match="line 1.*population model"):
        population_from_syntax('efa("b")*f1 + efa("b")*f2 =~ 0.7*x1 + 0.6*x2 + 0.5*x3')


def test_a_one_factor_block_is_a_factor_with_unit_variance():
    """lavaan: nothing to rotate in a block of one factor; its variance is fixed at 1."""
    res = fit('efa("b")*f1 =~ x1 + x2 + x3', HS)
    std_lv = fit("f1 =~ x1 + x2 + x3", HS, std_lv=True)
    pd.testing.assert_series_equal(res.params.est, std_lv.params.est, atol=1e-6)


def test_a_rotation_that_does_not_converge_warns_and_says_so():
    from govstats.errors import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="rotation"):
        res = fit(ESEM, HS, rotation_args={"max_iter": 1, "rstarts": 2})
    assert not res.converged
    assert any("GPA rotation of efa block 'b1'" in w for w in res.warnings_)


def test_efa_blocks_in_two_level_models_are_refused():
    model = "level: 1\n" + ESEM + "\nlevel: 2\nb =~ x1 + x2 + x3"
    with pytest.raises(ValueError, match="two-level models"):
        fit(model, HS, cluster="school")
