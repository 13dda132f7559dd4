"""govstats validate and govstats instrument diff on the command line: pilot -> revision -> main study."""

from __future__ import annotations

import shutil

import pytest

from govstats import load_instrument, simulate
from govstats.cli import main
from govstats.data import write_csv
from govstats.data.pilot import simulate_pilot
from tests_support import INSTRUMENTS


def write_responses(frame, path):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write_csv(frame, fh)
    return path


def drop_item(text: str, item: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next(k for k, line in enumerate(lines) if line.strip() == f"- id: {item}")
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) > indent:
        end += 1
    return "".join(lines[:start] + lines[end:])


@pytest.mark.slow  # two validations, one with a CFA, two recordings: 15 s on the shared machine
def test_pilot_revision_main_study(tmp_path, capsys):
    shutil.copytree(INSTRUMENTS / "blocks", tmp_path / "blocks")
    path = tmp_path / "grid.yaml"
    shutil.copy(INSTRUMENTS / "grid_governance.yaml", path)
    inst = load_instrument(path)
    pilot = write_responses(simulate_pilot(inst, 300, seed=1).responses, tmp_path / "pilot.csv")

    # 1. the pilot: item analysis, suggestions, recorded as version 1.1.0
    assert main(["validate", str(path), str(pilot), "-o", str(tmp_path / "v.html"), "--json",
                 str(tmp_path / "v.json"), "--record", "--pilot-where", "两个社区", "--pilot-when", "2026-11"]) == 0
    out = capsys.readouterr().out
    assert "VS4      drop" in out and "is now version 1.1.0" in out
    assert (tmp_path / "grid.v1.0.0.yaml").exists() and "<table>" in (tmp_path / "v.html").read_text("utf-8")

    # 2. the revision, by the authors: VS4 dropped, ID5 reworded positively, IS1 made less one-sided
    text = drop_item(path.read_text(encoding="utf-8"), "VS4")
    inst = load_instrument(path)
    id5, is1 = inst.item("ID5").text, inst.item("IS1").text
    text = text.replace(id5.zh, "社区里的居民认同自己是社区的一员。").replace(id5.en, "Residents see themselves as members of the community.")
    text = text.replace(is1.en, "Residents' interests are always fully balanced.")
    path.write_text(text, encoding="utf-8")
    assert main(["instrument", "diff", str(tmp_path / "grid.v1.0.0.yaml"), str(path), "--csv",
                 str(tmp_path / "diff.csv")]) == 0
    out = capsys.readouterr().out
    assert "item dropped" in out and "reworded (zh)" in out and "reworded (en)" in out

    # 3. the main study with the revised version, recorded as 1.2.0 with its CFA
    revised = load_instrument(path)
    main_csv = write_responses(simulate(revised, 500, seed=2).responses, tmp_path / "main.csv")
    assert main(["validate", str(path), str(pilot), "--main", str(main_csv), "--record"]) == 0
    captured = capsys.readouterr()
    assert "Main sample CFA" in captured.out
    # the pilot still has VS4: it was collected with version 1.0.0, and the command says so
    assert "warning: The pilot responses have columns ['VS4'] that version 1.0.0" in captured.err
    final = load_instrument(path)
    assert final.version == "1.2.0" and [r.version for r in final.validation] == ["1.0.0", "1.1.0"]
    assert final.validation[1].dropped[0].item == "VS4" and final.validation[1].main.n == 500
    assert main(["instrument", "show", str(path)]) == 0
    assert "main: N = 500" in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path, capsys):
    path = INSTRUMENTS / "grid_governance.yaml"
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(path), "p.csv", "--citc", "3"])
    assert exc.value.code == 2
    assert main(["validate", str(path), str(tmp_path / "none.csv")]) == 2
    assert "none.csv" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ri_asset", "ri_element", "party_building", "grid_governance", "platform_dilemma"])
def test_validate_every_seed_instrument_on_a_simulated_pilot(tmp_path, capsys, name):
    from govstats.resources import seed_instrument_path

    path = seed_instrument_path(name)
    inst = load_instrument(path)
    pilot = simulate_pilot(inst, 300, seed=1)
    csv = write_responses(pilot.responses, tmp_path / "pilot.csv")
    assert main(["validate", str(path), str(csv), "-o", str(tmp_path / "v.html")]) == 0
    out = capsys.readouterr().out
    assert "Table. Item analysis" in out
    for item in inst.items:
        assert f"\n{item.id} " in out
    for item in pilot.planted:
        assert f"  {item} " in out.split("Suggested actions")[1]
