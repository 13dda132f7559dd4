"""The form, schema and export commands, and the demo's form step."""

from __future__ import annotations

import json

import pyreadstat
import pytest
from forms_support import SYNTHETIC
from openpyxl import load_workbook

from govstats.cli import main
from govstats.resources import seed_instrument_path


def test_form_schema_export_commands(tmp_path, capsys):
    inst = str(seed_instrument_path("party_building"))
    assert main(["form", inst, "--format", "xlsform", "--lang", "en", "-o", str(tmp_path / "f.xlsx")]) == 0
    settings = load_workbook(tmp_path / "f.xlsx")["settings"]
    assert [c.value for c in settings[2]][:2] == ["Survey on party building leading community governance",
                                                  "party_building"]
    assert main(["form", inst, "--format", "html", "--lang", "zh", "-o", str(tmp_path / "f.html")]) == 0
    page = (tmp_path / "f.html").read_text(encoding="utf-8")
    assert "党建引领社区治理调查" in page and "Survey on party building" not in page
    assert main(["schema", inst, "-o", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["primaryKey"] == ["respondent_id"]
    assert main(["schema", inst, "--format", "ddi", "-o", str(tmp_path / "c.xml")]) == 0
    assert "<codeBook" in (tmp_path / "c.xml").read_text(encoding="utf-8")
    assert main(["export", str(SYNTHETIC / "party_building.csv"), "--instrument", inst, "--format", "sav",
                 "--lang", "en", "-o", str(tmp_path / "r.sav")]) == 0
    _, meta = pyreadstat.read_sav(tmp_path / "r.sav")
    assert meta.variable_value_labels["gender"] == {1.0: "Male", 2.0: "Female"}
    assert "r.sav: sav with en labels" in capsys.readouterr().out


def test_export_of_bad_data_is_a_message(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent_id,IC1\n1,x\n", encoding="utf-8")
    code = main(["export", str(bad), "--instrument", str(seed_instrument_path("ri_asset")), "-o", str(tmp_path / "b.sav")])
    # a problem in the data, not in the command: exit 1 (govstats --help)
    assert code == 1 and "Column 'IC1' must hold numbers" in capsys.readouterr().err


@pytest.mark.slow  # the whole demo (one run shared by the demo tests)
def test_demo_writes_form_and_schema(demo_run):
    out, folder = demo_run
    assert "Step 5. Write the survey form and the data schema of ri_asset" in out
    assert sorted(p.name for p in folder.iterdir()) == [  # and, from step 8, the report
        "report.docx", "report.html", "ri_asset.codebook.md", "ri_asset.html", "ri_asset.schema.json", "ri_asset.xlsx"]
