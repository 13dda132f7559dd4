"""The five seed instruments: each pinned to the theory of the study it operationalizes.

The expected models below are written from the seed-instruments issue (and the abstracts
in shared/research/), not read from the YAML files: a change to an instrument's model
must be a deliberate change here too.
"""

from __future__ import annotations

import numpy as np
import pytest

from govstats import load_instrument
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path

# instrument -> (roles of the constructs, paths with the sign the theory gives them)
EXPECTED = {
    "ri_asset": (
        {"IC": "factor", "PS": "factor", "SM": "factor", "GR": "factor", "OC": "factor",
         "CD": "mechanism", "CI": "mechanism", "PE": "mechanism", "SE": "mechanism", "RIE": "outcome"},
        {("CD", "IC"): +1, ("CI", "PS"): +1, ("CI", "SM"): +1, ("PE", "GR"): +1, ("SE", "OC"): +1,
         ("RIE", "CD"): +1, ("RIE", "CI"): +1, ("RIE", "PE"): +1, ("RIE", "SE"): +1},
    ),
    "ri_element": (
        {"RC": "factor", "GO": "factor", "IM": "factor", "SI": "factor",
         "PC": "mechanism", "PL": "mechanism", "SO": "mechanism", "SQ": "outcome"},
        {("PC", "GO"): +1, ("PC", "SI"): +1, ("PL", "IM"): +1, ("PL", "SI"): +1, ("SO", "IM"): +1,
         ("SO", "RC"): +1, ("SQ", "PC"): +1, ("SQ", "PL"): +1, ("SQ", "SO"): +1},
    ),
    "party_building": (
        {"AU": "factor", "IN": "factor", "RM": "factor", "SI": "mechanism", "IG": "mechanism",
         "EM": "mechanism", "MP": "mechanism", "GE": "outcome", "BE": "outcome"},
        {("SI", "AU"): +1, ("IG", "IN"): +1, ("EM", "RM"): +1, ("MP", "SI"): +1, ("MP", "IG"): +1,
         ("MP", "EM"): +1, ("GE", "MP"): +1, ("BE", "MP"): +1},
    ),
    "grid_governance": (
        {"VS": "factor", "IS": "factor", "RS": "factor", "ID": "mechanism", "CN": "mechanism",
         "IA": "mechanism", "QE": "outcome"},
        {("ID", "VS"): +1, ("CN", "IS"): +1, ("IA", "RS"): +1, ("QE", "ID"): +1, ("QE", "CN"): +1,
         ("QE", "IA"): +1},
    ),
    "platform_dilemma": (
        {"DZ": "factor", "GP": "factor", "RD": "mechanism", "AU": "mechanism", "EB": "mechanism",
         "PP": "outcome"},
        # Pressure and dependency lower autonomy; economic priority lowers performance.
        {("RD", "GP"): +1, ("RD", "DZ"): +1, ("AU", "GP"): -1, ("AU", "RD"): -1, ("EB", "AU"): +1,
         ("PP", "EB"): +1, ("PP", "DZ"): -1},
    ),
}

FIELD_QUESTIONS = {"community_id", "street", "district", "role", "party_member",
                   "gender", "age", "education", "years_in_community", "hukou"}
ROLES = {1: "社区居民", 2: "社区居委会/党组织工作人员", 3: "网格员", 4: "社会组织工作人员", 5: "其他"}


@pytest.fixture(scope="module", params=SEED_INSTRUMENTS)
def seed(request):
    return request.param, load_instrument(seed_instrument_path(request.param))


def test_every_seed_instrument_is_listed():
    assert set(EXPECTED) == set(SEED_INSTRUMENTS)


def test_constructs_and_roles(seed):
    name, inst = seed
    roles, _ = EXPECTED[name]
    assert {c.id: c.role for c in inst.constructs} == roles


def test_paths_exactly_and_with_their_signs(seed):
    name, inst = seed
    _, paths = EXPECTED[name]
    found = {(p.outcome, p.predictor): p.coefficient for p in inst.model.paths}
    assert set(found) == set(paths)
    for key, sign in paths.items():
        assert np.sign(found[key]) == sign, key
        assert 0.15 <= abs(found[key]) <= 0.50, key


def test_model_syntax_has_every_path(seed):
    name, inst = seed
    _, paths = EXPECTED[name]
    syntax = inst.model_syntax()
    for outcome in {o for o, _ in paths}:
        preds = [p for o, p in paths if o == outcome]
        line = next(l for l in syntax.splitlines() if l.startswith(f"{outcome} ~ "))
        assert sorted(line.split(" ~ ")[1].split(" + ")) == sorted(preds)


def test_item_counts(seed):
    _, inst = seed
    for c in inst.constructs:
        assert 3 <= len(c.items) <= 5, c.id
        if c.role == "outcome":
            assert len(c.items) >= 4, c.id


def test_reverse_item_and_attention_check(seed):
    _, inst = seed
    assert any(i.reverse for i in inst.items)
    assert len(inst.attention_checks) == 1
    check = inst.attention_checks[0]
    assert check.correct in check.scale.codes


def test_population_values_in_the_planned_ranges(seed):
    _, inst = seed
    loadings = np.array([i.loading for i in inst.items])
    assert loadings.min() >= 0.50 and loadings.max() <= 0.90
    assert np.mean((loadings >= 0.60) & (loadings <= 0.85)) >= 0.8  # "mostly .60 to .85"
    assert all(0.05 <= c.icc <= 0.15 for c in inst.constructs)
    r = inst.latent_correlations().to_numpy()
    assert np.allclose(np.diag(r), 1.0)
    assert np.linalg.eigvalsh(r).min() > 0


def test_field_questions_and_design(seed):
    _, inst = seed
    assert FIELD_QUESTIONS <= {q.id for q in inst.questions}
    assert dict(inst.design) == {"community": "community_id", "street": "street",
                                 "district": "district", "role": "role"}
    role = inst.question("role")
    assert {c.code: c.label.zh for c in role.choices} == ROLES
    assert inst.consent.text.zh and inst.consent.text.en
    assert inst.metadata.respondent_id and inst.metadata.start and inst.metadata.end


def test_bilingual_provenance(seed):
    name, inst = seed
    # the study by its bibliographic data (the issue that asked for it: no file outside the package)
    assert {"ri_asset": "GTID 2556306917488194", "ri_element": "GTID 2506306347452524",
            "party_building": "GTID 2556307157973099", "grid_governance": "2024(5), 13-25",
            "platform_dilemma": "Wang, Q. (2024)"}[name] in inst.provenance.citation
    for c in inst.constructs:
        assert c.provenance.zh and c.provenance.en and c.definition.zh and c.definition.en


def test_integration_modes_asked_of_community_staff():
    inst = load_instrument(seed_instrument_path("ri_element"))
    q = inst.question("integration_mode")
    assert q.type == "multiple_choice"
    assert set(q.ask_if.codes) == {2, 3} and q.ask_if.question == "role"
    assert len(q.choices) >= 3


def test_party_building_participation_covers_four_actors():
    mp = load_instrument(seed_instrument_path("party_building")).construct("MP")
    text = " ".join(i.text.zh for i in mp.items)
    assert len(mp.items) == 4
    for actor in ("居民", "社会组织", "党员", "年轻党员"):
        assert actor in text


def test_readme_table_lists_every_instrument_and_path():
    readme = (seed_instrument_path("ri_asset").parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- seed-table:start -->")[1].split("<!-- seed-table:end -->")[0]
    for name in SEED_INSTRUMENTS:
        inst = load_instrument(seed_instrument_path(name))
        row = next(line for line in table.splitlines() if f"`{name}.yaml`" in line)
        for c in inst.constructs:
            assert f"{c.id} {c.name.zh} ({c.name.en}, {len(c.items)})" in row
        for outcome in inst.model.outcomes:
            terms = " + ".join(f"{p.coefficient:.2f}*{p.predictor}" for p in inst.model.predictors_of(outcome))
            assert f"{outcome} ~ {terms}" in row
