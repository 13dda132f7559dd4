"""Table Schema: the committed synthetic data conform; corrupted copies fail at the right place."""

from __future__ import annotations

import json

import frictionless
import pandas as pd
import pytest
from forms_support import DATASETS, SYNTHETIC, check_golden, seed, with_missing_codes

from govstats import load_instrument, simulate
from govstats.forms import data_package, table_schema, validate_table, write_schema


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_committed_datasets_conform(dataset):
    errors = validate_table(seed(DATASETS[dataset]), SYNTHETIC / f"{dataset}.csv")
    assert errors.empty, errors.head().to_string()


def corrupt(tmp_path, edit, name="bad.csv"):
    df = pd.read_csv(SYNTHETIC / "ri_asset.csv", dtype="str", keep_default_na=False)
    df = edit(df)
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def problems(errors):
    return list(errors[["row_number", "field", "code"]].itertuples(index=False, name=None))


def test_code_out_of_range(tmp_path):
    def edit(df):
        df.loc[41, "IC2"] = "6"  # data row 42, file line 43
        df.loc[99, "age"] = "101"
        return df

    assert problems(validate_table(seed("ri_asset"), corrupt(tmp_path, edit))) == [
        (43, "IC2", "constraint-error"), (101, "age", "constraint-error")]


def test_duplicate_respondent_id(tmp_path):
    def edit(df):
        df.loc[250, "respondent_id"] = df.loc[7, "respondent_id"]
        return df

    assert problems(validate_table(seed("ri_asset"), corrupt(tmp_path, edit))) == [
        (252, "respondent_id", "primary-key")]


def test_missing_column_and_missing_id(tmp_path):
    def edit(df):
        df.loc[3, "respondent_id"] = ""
        return df.drop(columns=["PS3"])

    # An empty id breaks both its required constraint and the primary key.
    assert problems(validate_table(seed("ri_asset"), corrupt(tmp_path, edit))) == [
        (pd.NA, "PS3", "missing-label"), (5, "respondent_id", "constraint-error"),
        (5, "respondent_id", "primary-key")]


def test_bad_multiple_choice_and_type_errors(tmp_path):
    df = pd.read_csv(SYNTHETIC / "ri_element.csv", dtype="str", keep_default_na=False)
    df.loc[0, "integration_mode"] = "1 5"
    df.loc[1, "integration_mode"] = "12"
    df.loc[2, "start_time"] = "yesterday"
    df.loc[3, "RC1"] = "four"
    df.to_csv(tmp_path / "e.csv", index=False)
    assert problems(validate_table(seed("ri_element"), tmp_path / "e.csv")) == [
        (2, "integration_mode", "constraint-error"), (3, "integration_mode", "constraint-error"),
        (4, "start_time", "type-error"), (5, "RC1", "type-error")]


def test_extra_columns_and_order_are_allowed(tmp_path):
    # ODK and Kobo exports add their own columns and may order them differently.
    def edit(df):
        df["deviceid"] = "collect:abc"
        return df[["deviceid"] + list(df.columns[::-1][1:])]

    assert validate_table(seed("ri_asset"), corrupt(tmp_path, edit)).empty


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_bom_and_gbk_files(tmp_path, encoding):
    df = pd.read_csv(SYNTHETIC / "ri_asset.csv", dtype="str", keep_default_na=False)
    df["district"] = "浦东新区"
    df.loc[5, "IC1"] = "0"
    path = tmp_path / "enc.csv"
    df.to_csv(path, index=False, encoding=encoding)
    assert problems(validate_table(seed("ri_asset"), path)) == [(7, "IC1", "constraint-error")]


def test_published_descriptor_works_in_frictionless_as_is(tmp_path):
    # The data package written to disk, with the bad file beside it, read by frictionless alone.
    inst = seed("ri_asset")
    corrupt(tmp_path, lambda df: df.assign(RIE5=df["RIE5"].where(df.index != 10, "7")), name="ri_asset.csv")
    write_schema(inst, tmp_path / "datapackage.json", format="datapackage")
    report = frictionless.Package(str(tmp_path / "datapackage.json")).validate()
    assert report.flatten(["rowNumber", "fieldName", "type"]) == [[12, "RIE5", "constraint-error"]]


def test_fields_describe_the_columns():
    inst = seed("ri_element")
    schema = table_schema(inst)
    fields = {f["name"]: f for f in schema["fields"]}
    assert list(fields) == inst.columns()
    assert schema["primaryKey"] == ["respondent_id"] and schema["fieldsMatch"] == "subset"
    assert fields["respondent_id"]["constraints"] == {"required": True}
    assert fields["consent"]["constraints"] == {"enum": [1, 0], "required": True}
    rc4 = fields["RC4"]
    assert rc4["title"] == f"{inst.item('RC4').text.zh} / {inst.item('RC4').text.en}"
    assert rc4["categoriesOrdered"] is True and "Reverse-coded" in rc4["description"]
    assert fields["gender"]["categories"] == [{"value": 1, "label": "男 / Male"}, {"value": 2, "label": "女 / Female"}]
    assert "categoriesOrdered" not in fields["gender"]
    assert fields["integration_mode"]["constraints"] == {"pattern": "(?:1|2|3|4)(?: (?:1|2|3|4))*"}
    assert fields["years_in_community"]["constraints"] == {"minimum": 0, "maximum": 100}
    assert fields["start_time"]["type"] == "datetime"
    assert data_package(inst)["resources"][0]["schema"]["fields"] == schema["fields"]


def test_missing_codes_are_missing_values(example, write, tmp_path):
    inst = load_instrument(write(with_missing_codes(example)))
    ps1 = next(f for f in table_schema(inst)["fields"] if f["name"] == "PS1")
    assert ps1["missingValues"] == [{"value": ""}, {"value": "9", "label": "不清楚 / Don't know"}]
    assert ps1["constraints"]["enum"] == [1, 2, 3, 4, 5]
    df = simulate(inst, 2, seed=3).responses
    df.loc[0, "PS1"] = 9  # don't know: a missing value, not a bad code
    df.loc[1, "PS3"] = 9  # PS3 is on agree5dk too
    df.loc[1, "PS2"] = 9  # PS2 is on agree7, which has no missing code
    df.to_csv(tmp_path / "dk.csv", index=False)
    assert problems(validate_table(inst, tmp_path / "dk.csv")) == [(3, "PS2", "constraint-error")]


def test_golden_table_schema():
    check_golden("ri_asset.schema.json", json.dumps(table_schema(seed("ri_asset")), ensure_ascii=False, indent=2) + "\n")
