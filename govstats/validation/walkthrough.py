"""The pilot -> revision -> main-study path on a seed instrument, end to end, for the demo and the README.

Every step is what a research team does, with the same public functions the command line uses:

1. a pilot of 300 with three weak items planted (:func:`govstats.data.pilot.simulate_pilot`);
2. ``validate`` on the pilot, its evidence recorded as version 1.1.0 (1.0.0 kept as a file);
3. the authors' revision: here they drop every item the pilot flagged (a walkthrough cannot
   write new wording; a real team would reword the "review wording" items instead). This edit
   is the walkthrough's, never ``validate``'s: it removes the items' entries from the YAML text
   and nothing else;
4. the main study with the revised version, ``validate`` with its CFA, recorded as 1.2.0;
5. ``instrument diff`` of 1.0.0 and the final version.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def remove_items(text: str, items) -> str:
    """The instrument text without the entries of ``items`` (each ``- id: X`` line and the more
    indented lines under it); every other byte is kept."""
    lines = text.splitlines(keepends=True)
    for item in items:
        starts = [k for k, line in enumerate(lines) if line.strip() == f"- id: {item}"]
        if len(starts) != 1:
            raise ValueError(f"The 'items' parameter of remove_items must name items written as '- id: {item}' "
                             f"once in the file. Got {item!r}, found {len(starts)} times.")
        start = starts[0]
        indent = len(lines[start]) - len(lines[start].lstrip())
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():  # blank lines after the entry stay
            end -= 1
        lines[start:end] = []
    return "".join(lines)


def pilot_to_main(folder, instrument: str = "party_building", pilot_n: int = 300, main_n: int = 600,
                  seed: int = 1, echo=print) -> dict:
    """Run the whole path in ``folder`` on a seed instrument; print each step with ``echo``.

    Returns
    -------
    dict
        Paths: ``instrument`` (the final version), ``first`` (version 1.0.0 as kept), ``pilot``,
        ``main`` (CSV), ``pilot_report``, ``main_report`` (HTML); and ``planted``, ``flagged``.

    Examples
    --------
    It takes a few seconds (two validations, a CFA), so the example is not run by the doctests;
    ``tests/validation/test_walkthrough.py`` runs it (marked slow).

    >>> import tempfile
    >>> from govstats.validation.walkthrough import pilot_to_main
    >>> with tempfile.TemporaryDirectory() as d:  # doctest: +SKIP
    ...     out = pilot_to_main(d, "grid_governance", echo=lambda *a: None)
    ...     sorted(out["flagged"]) == sorted(out["planted"])
    True
    """
    from govstats import load_instrument, simulate
    from govstats.data import write_csv
    from govstats.data.pilot import simulate_pilot
    from govstats.instrument.diff import diff_text
    from govstats.resources import instruments_dir, seed_instrument_path
    from govstats.validation import validate
    from govstats.validation.record import record_validation

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(instruments_dir() / "blocks", folder / "blocks", dirs_exist_ok=True)
    path = folder / f"{instrument}.yaml"
    shutil.copy(seed_instrument_path(instrument), path)
    inst = load_instrument(path)

    def csv(frame, name):
        with open(folder / name, "w", encoding="utf-8", newline="") as fh:
            write_csv(frame, fh)
        return folder / name

    pilot = simulate_pilot(inst, pilot_n, seed=seed)
    pilot_csv = csv(pilot.responses, "pilot.csv")
    echo(f"1. Pilot: {pilot_n} simulated respondents to {inst.id} {inst.version}, weak items planted: "
         + ", ".join(f"{k} ({v})" for k, v in pilot.planted.items()))
    first = validate(inst, pilot.responses)
    first.write_html(folder / "pilot_validation.html")
    flagged = dict(zip(first.suggestions["item"], first.suggestions["action"]))
    echo("2. Item analysis of the pilot suggests:")
    for r in first.suggestions.itertuples():
        echo(f"     {r.item:<6} {r.action}: {r.reason}")
    done = record_validation(path, first.record(pilot_where="simulated pilot", pilot_when="walkthrough"))
    echo(f"   recorded: {path.name} is now version {done.new_version}; {done.previous.name} keeps {done.old_version}")

    path.write_text(remove_items(path.read_text(encoding="utf-8"), list(flagged)), encoding="utf-8")
    revised = load_instrument(path)
    echo(f"3. Revision by the authors: {', '.join(flagged)} removed ({len(revised.items)} items remain)")

    main_data = simulate(revised, main_n, seed=seed + 1).responses
    main_csv = csv(main_data, "main.csv")
    second = validate(revised, pilot.responses.drop(columns=list(flagged)), main=main_data)
    second.write_html(folder / "main_validation.html")
    f = second.fit_measures
    echo(f"4. Main study ({main_n} respondents, version {revised.version}): CFA chi2({f['df']:.0f}) = "
         f"{f['chisq']:.1f}, CFI {f['cfi']:.3f}, TLI {f['tli']:.3f}, RMSEA {f['rmsea']:.3f}, SRMR {f['srmr']:.3f}; "
         f"CR {second.constructs['main_cr'].min():.2f}-{second.constructs['main_cr'].max():.2f}, "
         f"AVE {second.constructs['main_ave'].min():.2f}-{second.constructs['main_ave'].max():.2f}")
    echo("   suggested now: " + ("nothing (every item kept)" if second.suggestions.empty else ""))
    for r in second.suggestions.itertuples():
        echo(f"     {r.item:<6} {r.action}: {r.reason}")
    done2 = record_validation(path, second.record(pilot_where="simulated pilot", main_where="simulated main study"))
    final = load_instrument(path)
    echo(f"   recorded: {path.name} is now version {done2.new_version}")
    echo("5. " + diff_text(load_instrument(done.previous), final))
    return {"instrument": path, "first": done.previous, "pilot": pilot_csv, "main": main_csv,
            "pilot_report": folder / "pilot_validation.html", "main_report": folder / "main_validation.html",
            "planted": pilot.planted, "flagged": flagged}
