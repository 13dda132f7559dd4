"""Each instrument check: a bad variant of the README example, asserting code and location."""

from __future__ import annotations

from pathlib import Path

import pytest

from govstats import InstrumentError, load_instrument


def problems_of(path):
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    return info.value.problems


def only(problems, code):
    found = [p for p in problems if p.code == code]
    assert found, f"no {code!r} among {[str(p) for p in problems]}"
    return found


def test_yaml_syntax_error_names_line(write):
    path = write("id: demo\nversion: '1'\ntitle: {zh: 标题, en: [unclosed\n")
    (p,) = problems_of(path)
    assert p.code == "yaml-syntax"
    assert p.file == str(path)
    assert p.line == 3 or p.line == 4


def test_missing_file(tmp_path):
    (p,) = problems_of(tmp_path / "nope.yaml")
    assert p.code == "file-not-found"


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"id: \x80\xff\x80\n")
    (p,) = problems_of(path)
    assert p.code == "encoding"


def test_gbk_file_loads(write, example):
    # Excel and Notepad on Chinese Windows save GBK; such a file must load with its Chinese intact.
    path = write(example, encoding="gbk")
    inst = load_instrument(path)
    assert inst.construct("PS").name.zh == "公共精神"


def test_wrong_type(write, example):
    example["constructs"] = "PS, CI, PA"
    (p,) = only(problems_of(write(example)), "wrong-type")
    assert p.location == "constructs"


def test_missing_field(write, example):
    del example["constructs"][0]["name"]
    (p,) = only(problems_of(write(example)), "missing-field")
    assert p.location == "constructs[0].name"


def test_unknown_field_suggests_the_close_key(write, example):
    example["constructs"][0]["items"][0]["reversed"] = True
    (p,) = only(problems_of(write(example)), "unknown-field")
    assert p.location == "constructs[0].items[0].reversed"
    assert "'reverse'" in p.hint


def test_invalid_role(write, example):
    example["constructs"][1]["role"] = "predictor"
    (p,) = only(problems_of(write(example)), "invalid-value")
    assert p.location == "constructs[1].role"


def test_invalid_id(write, example):
    example["constructs"][0]["items"][1]["id"] = "2nd item"
    (p,) = only(problems_of(write(example)), "invalid-value")
    assert p.location == "constructs[0].items[1].id"


def test_duplicate_item_id(write, example):
    example["constructs"][1]["items"][0]["id"] = "PS1"
    (p,) = only(problems_of(write(example)), "duplicate-id")
    assert p.location == "constructs[1].items[0].id"
    assert "constructs[0].items[0]" in p.message  # names the first definition


def test_duplicate_of_a_block_question(write, example):
    example["questions"][0]["id"] = "age"  # the demographics block defines 'age'
    (p,) = only(problems_of(write(example)), "duplicate-id")
    assert p.location == "questions[0].id"


def test_duplicate_scale_with_a_block(write, example):
    example["scales"] = {"agree5": {"type": "likert", "points": [
        {"code": 1, "zh": "不同意", "en": "Disagree"}, {"code": 2, "zh": "同意", "en": "Agree"}]}}
    (p,) = only(problems_of(write(example)), "duplicate-id")
    assert p.location == "scales.agree5"


def test_unknown_scale(write, example):
    example["constructs"][0]["items"][0]["scale"] = "agree9"
    (p,) = only(problems_of(write(example)), "unknown-reference")
    assert p.location == "constructs[0].items[0].scale"


def test_unknown_construct_in_model(write, example):
    example["model"]["paths"]["PA"]["XX"] = 0.2
    (p,) = only(problems_of(write(example)), "unknown-reference")
    assert p.location == "model.paths.PA.XX"


def test_unknown_attention_placement(write, example):
    example["attention_checks"][0]["after"] = "ZZ"
    (p,) = only(problems_of(write(example)), "unknown-reference")
    assert p.location == "attention_checks[0].after"


def test_unknown_block(write, example):
    example["include"].append("blocks/nothing.yaml")
    (p,) = only(problems_of(write(example)), "file-not-found")
    assert p.location == "include[3]"


def test_include_cycle(write, example):
    write("block: a\ninclude: [b.yaml]\n", name="blocks/a.yaml")
    write("block: b\ninclude: [a.yaml]\n", name="blocks/b.yaml")
    example["include"].append("blocks/a.yaml")
    (p,) = only(problems_of(write(example)), "include-cycle")
    assert p.file.endswith("b.yaml")
    assert p.location == "include[0]"
    assert "a.yaml -> b.yaml -> a.yaml" in p.message


def test_too_few_items(write, example):
    del example["constructs"][0]["items"][1:]
    (p,) = only(problems_of(write(example)), "too-few-items")
    assert p.location == "constructs[0].items"


def test_missing_translation(write, example):
    del example["constructs"][2]["items"][1]["text"]["zh"]
    (p,) = only(problems_of(write(example)), "missing-translation")
    assert p.location == "constructs[2].items[1].text.zh"


def test_empty_translation(write, example):
    example["title"]["en"] = "  "
    (p,) = only(problems_of(write(example)), "missing-translation")
    assert p.location == "title.en"


def test_reverse_on_nominal_scale(write, example):
    item = example["constructs"][1]["items"][2]
    item["scale"], item["reverse"] = "gender", True
    (p,) = only(problems_of(write(example)), "reverse-non-ordinal")
    assert p.location == "constructs[1].items[2].reverse"


def test_attention_check_without_answer(write, example):
    del example["attention_checks"][0]["correct"]
    (p,) = only(problems_of(write(example)), "attention-no-answer")
    assert p.location == "attention_checks[0].correct"


def test_attention_answer_not_on_scale(write, example):
    example["attention_checks"][0]["correct"] = 7
    (p,) = only(problems_of(write(example)), "attention-no-answer")
    assert p.location == "attention_checks[0].correct"


@pytest.mark.parametrize(
    "change, location",
    [
        (lambda d: d["constructs"][0]["items"][0].update(loading=1.2), "constructs[0].items[0].loading"),
        (lambda d: d["constructs"][2].update(icc=1.5), "constructs[2].icc"),
        (lambda d: d["model"]["paths"]["CI"].update(PS=1.1), "model.paths.CI.PS"),
        (lambda d: d["constructs"][0]["items"][0].update(population={"proportions": [0.5, 0.5, 0.5, 0.1, 0.1]}),
         "constructs[0].items[0].population.proportions"),
        (lambda d: d["constructs"][0]["items"][0].update(population={"thresholds": [0.5, 0.0, 1.0, 2.0]}),
         "constructs[0].items[0].population.thresholds"),
        (lambda d: d["population"].update(loading=-1.0), "population.loading"),
    ],
    ids=["loading", "icc", "path", "proportions", "thresholds", "default-loading"],
)
def test_population_out_of_range(write, example, change, location):
    change(example)
    (p,) = only(problems_of(write(example)), "population-out-of-range")
    assert p.location == location


def test_correlations_not_positive_definite(write, example):
    # Three exogenous constructs whose correlations no population can have.
    example["model"] = {"correlations": {"PS ~~ CI": 0.9, "PS ~~ PA": 0.9, "CI ~~ PA": -0.9}}
    (p,) = only(problems_of(write(example)), "correlation-not-pd")
    assert p.location.startswith("model")


def test_paths_explaining_more_than_the_variance(write, example):
    # Var(PA) explained = .8^2 + .6^2 + 2(.8)(.6)(.5) = 1.48 with corr(CI, PS) = .5 implied by CI ~ .5 PS.
    example["model"]["paths"]["PA"] = {"CI": 0.8, "PS": 0.6}
    (p,) = only(problems_of(write(example)), "latent-variance-above-one")
    assert p.location == "model.paths.PA"
    assert "1.480" in p.message


def test_cyclic_model(write, example):
    example["model"]["paths"]["PS"] = {"PA": 0.2}
    (p,) = only(problems_of(write(example)), "cyclic-model")
    assert "PS" in p.message and "PA" in p.message


def test_all_problems_of_a_file_at_once(write, example):
    del example["constructs"][2]["items"][1]["text"]["zh"]
    example["constructs"][0]["items"][0]["loading"] = 1.5
    example["constructs"][1]["role"] = "predictor"
    example["attention_checks"][0]["after"] = "ZZ"
    codes = sorted(p.code for p in problems_of(write(example)))
    assert codes == ["invalid-value", "missing-translation", "population-out-of-range", "unknown-reference"]


def test_problems_carry_lines_and_render_readably(write, example):
    example["constructs"][0]["items"][0]["reversed"] = True
    path = write(example)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    (p,) = info.value.problems
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "reversed" in lines[p.line - 1]
    assert str(path) in str(info.value) and "constructs[0].items[0].reversed" in str(info.value)


def test_block_given_as_instrument():
    blocks = Path(__file__).resolve().parents[2] / "instruments" / "blocks"
    (p,) = problems_of(blocks / "demographics.yaml")
    assert p.code == "invalid-value" and p.location == "block"
