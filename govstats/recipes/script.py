"""``recipe_script(recipe)``: the recipe as a plain Python script of govstats' public functions.

The script makes the same calls as :func:`govstats.recipes.analyze` with the same options, in
the same order, and writes the same result files with the same writers, so its tables are the
recipe's byte for byte (the tests run both and compare). It leaves out what only the recipe
runner does: the manifest, the provenance and the collection of warnings (a script shows them).
Every value from the recipe enters the script as a Python literal (``repr``), never as code.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from govstats.recipes.load import Recipe, load_recipe
from govstats.recipes.run import DATA_FILE, simulate_options
from govstats.recipes.schema import FLAGS


def recipe_script(recipe: Recipe | str | PathLike, script: str | PathLike | None = None) -> str:
    """The Python source of a script that runs ``recipe`` with the public API.

    Parameters
    ----------
    recipe : Recipe or path
    script : path, optional
        Where the script will be saved: its paths to the instrument and data are written
        relative to that folder (so the script and the files can move together); absolute
        without it.

    Returns
    -------
    str

    Examples
    --------
    >>> from govstats.recipes import recipe_script
    >>> from govstats.resources import instruments_dir
    >>> text = recipe_script(instruments_dir().parent / "recipes" / "party_building.yaml")
    >>> "res = fit(inst, used" in text
    True
    """
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe)
    from govstats import __version__

    base = Path(script).resolve().parent if script is not None else None

    def where(path: Path) -> str:
        if base is None:
            return f"Path({str(path)!r})"
        import os

        return f"HERE / {Path(os.path.relpath(path, base)).as_posix()!r}"

    used_functions = {"load_instrument", "read_responses", "check_responses", "score"}
    body: list[str] = []
    add = body.append
    add(f"inst = load_instrument({where(recipe.instrument)})")
    if recipe.simulate:
        used_functions.add("simulate_to_csv")
        add(f"# simulated responses, written beside the results (seed {recipe.simulate['seed']})")
        add(f"truth = simulate_to_csv(inst, {recipe.simulate['n']!r}, OUT / {DATA_FILE!r}, "
            f"{_kwargs(simulate_options(recipe))})")
        add("truth.to_json(OUT / 'truth.json')")
        add(f"data = read_responses(OUT / {DATA_FILE!r}, inst)")
    else:
        how = _kwargs({"encoding": recipe.data.get("encoding"), "source": recipe.data["source"]})
        mapping = recipe.data.get("mapping")
        how += f", mapping={where(mapping)}" if mapping is not None else ", mapping=None"
        files = recipe.data["files"]
        if len(files) == 1:
            add(f"data = read_responses({where(files[0])}, inst, {how})")
        else:
            add("# several files of one instrument, stacked; rows numbered as one file (header = row 1)")
            add("frames = [read_responses(path, inst, " + how + ") for path in [" +
                ", ".join(where(f) for f in files) + "]]")
            add("data = pd.concat(frames, ignore_index=True)")
            add("data.index = pd.RangeIndex(2, 2 + len(data), name='row')")
    add("")
    add("# data check: every problem with its row; careless respondents flagged")
    add(f"check = check_responses(inst, data, thresholds={recipe.thresholds!r})")
    add("write_table(check.problems, OUT / 'check_problems.csv')")
    add("write_table(check.flagged, OUT / 'flagged.csv')")
    columns = [FLAGS[rule] for rule in recipe.exclude]
    add(f"# exclusion rules: {', '.join(recipe.exclude) or 'none'}")
    if columns:
        add(f"hit = check.flagged[{columns!r}].any(axis=1)")
    else:
        add("hit = check.flagged['flagged'] & False")
    add("used = data.drop(index=check.flagged.loc[hit, 'row'])")
    add("write_table(check.flagged.loc[hit, ['row', 'respondent_id', 'reasons']], OUT / 'exclusions.csv')")
    add(f"scores = score(inst, used, min_answered={recipe.score['min_answered']!r}, thresholds={recipe.thresholds!r})")
    add("write_table(scores, OUT / 'scores.csv')")
    for name, options in recipe.analyses.items():
        lines, functions = STEPS[name](options, recipe)
        used_functions |= functions
        add("")
        body.extend(lines)

    needs_pandas = not recipe.simulate and len(recipe.data.get("files", [])) > 1
    writers = ["write_json", "write_svg", "write_table"]
    if "report" in recipe.analyses:
        writers = ["deterministic_figures", "fix_zip_dates"] + writers
    head = [
        '"""An analysis recipe as a plain Python script of the public functions of govstats.',
        "",
        f"Written by `govstats analyze RECIPE --to-script` (govstats {__version__}). It makes the recipe's calls",
        "with the recipe's options and writes the same result files:",
        "",
        "    python SCRIPT.py [RESULTS_FOLDER]",
        '"""',
        "",
        "import sys",
        "from pathlib import Path",
        "",
        *(["import pandas as pd", ""] if needs_pandas else []),
        f"from govstats import {', '.join(sorted(used_functions))}",
        f"from govstats.recipes.write import {', '.join(writers)}",
        "",
        f"TITLE = {recipe.title!r}",
        f"RECIPE = {recipe.path.name!r}  # SHA-256 {recipe.sha256}",
        "HERE = Path(__file__).resolve().parent",
        f"OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / {recipe.path.stem + '_results'!r}",
        "OUT.mkdir(parents=True, exist_ok=True)",
        "",
    ]
    return "\n".join(head + body) + "\n"


def _kwargs(options: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in options.items())


def _efa(o, recipe):
    rotation = None if o["rotation"] == "none" else o["rotation"]
    return [
        "# exploratory factor analysis: KMO, Bartlett, parallel analysis, loadings",
        f"e = efa(used, {_kwargs({'n_factors': o['n_factors'], 'method': o['method'], 'rotation': rotation})}, "
        f"seed={recipe.seed_of('efa')!r}, instrument=inst)",
        "write_table(e.loadings, OUT / 'efa_loadings.csv', index=True)",
        "write_table(e.variance, OUT / 'efa_variance.csv', index=True)",
        "write_json({'kmo': e.kmo, 'bartlett': e.bartlett, 'n_factors': e.n_factors, 'n_suggested': e.n_suggested,",
        "            'nobs': e.nobs}, OUT / 'efa.json')",
    ], {"efa"}


def _reliability(o, recipe):
    return [
        "# reliability: alpha (CI), omega, CR, AVE per construct; item-total correlations",
        f"rel = reliability(inst, used, level={o['level']!r})",
        "write_table(rel.table, OUT / 'reliability.csv', index=True)",
        "write_table(rel.items, OUT / 'reliability_items.csv')",
    ], {"reliability"}


def _validity(o, recipe):
    return [
        "# discriminant validity: Fornell-Larcker, HTMT",
        "val = validity(inst, used)",
        "write_table(val.fornell_larcker, OUT / 'validity_fornell_larcker.csv', index=True)",
        "write_table(val.htmt, OUT / 'validity_htmt.csv', index=True)",
        "write_json({'cr': val.cr, 'ave': val.ave}, OUT / 'validity.json')",
    ], {"validity"}


def _fit(o, recipe):
    kwargs = _kwargs({"estimator": o["estimator"], "ordered": True if o["ordered"] else None,
                      "missing": o["missing"], "cluster": o["cluster"], "std_lv": o["std_lv"]})
    lines = [
        "# the structural equation model",
        f"res = fit(inst, used, {kwargs})",
        "write_table(res.params, OUT / 'fit_params.csv')",
        "write_json({'converged': res.converged, 'nobs': res.nobs, 'estimator': res.estimator,",
        "            'fit_measures': res.fit_measures}, OUT / 'fit.json')",
    ]
    functions = {"fit"}
    if o["path_diagram"]:
        lines.append(f"write_svg(path_diagram(res, inst, lang={o['lang']!r}), OUT / 'path_diagram.svg')")
        functions.add("path_diagram")
    return lines, functions


def _effects(o, recipe):
    draws = o["bootstrap"]
    kwargs = _kwargs({"estimator": o["estimator"], "ordered": True if o["ordered"] else None, "missing": o["missing"],
                      "cluster": o["cluster"], "bootstrap": draws, "seed": recipe.seed_of("effects"),
                      "ci": o["ci"] or ("perc" if draws else "monte_carlo")})
    return [
        "# direct, specific indirect and total effects with their intervals",
        f"draws = fit(inst, used, {kwargs})",
        "write_table(draws.effects(), OUT / 'effects.csv')",
    ], {"fit"}


def _invariance(o, recipe):
    kwargs = _kwargs({"group": o["group"], "estimator": o["estimator"], "ordered": True if o["ordered"] else None,
                      "levels": o["levels"], "partial": o["partial"], "missing": o["missing"]})
    return [
        "# measurement invariance: configural, metric, scalar, strict",
        f"inv = invariance(inst, used, {kwargs})",
        "write_table(inv.table, OUT / 'invariance.csv', index=True)",
    ], {"invariance"}


def _multilevel(o, recipe):
    return [
        "# residents within communities: ICC(1), ICC(2), design effect, rwg(j)",
        f"ml = multilevel(inst, used, {_kwargs({'cluster': o['cluster'], 'mixed': o['mixed'], 'level': o['level']})})",
        "write_table(ml.table, OUT / 'multilevel.csv', index=True)",
        "write_table(ml.items, OUT / 'multilevel_items.csv', index=True)",
    ], {"multilevel"}


def _power(o, recipe):
    kwargs = _kwargs({"n": o["n"], "reps": o["reps"], "seed": recipe.seed_of("power"), "estimator": o["estimator"],
                      "cluster_size": o["cluster_size"], "targets": o["targets"]})
    lines = [
        "# Monte Carlo power from the instrument's population model",
        f"pw = power(inst, {kwargs})",
        "write_table(pw.summary, OUT / 'power.csv')",
        "write_table(pw.fit_tests, OUT / 'power_fit_tests.csv')",
    ]
    if o["plot"]:
        lines.append("write_svg(pw.plot(), OUT / 'power.svg')")
    return lines, {"power"}


def _report(o, recipe):
    given = {name: var for name, var in (("invariance", "inv"), ("multilevel", "ml"), ("power", "pw"))}
    extras = ", ".join(f"{name}={var if name in recipe.analyses else None}" for name, var in given.items())
    kwargs = _kwargs({"lang": o["lang"], "estimator": o["estimator"], "bootstrap": o["bootstrap"],
                      "seed": recipe.seed_of("report"), "ci": o["ci"], "group": o["group"], "cluster": o["cluster"],
                      "exclude_flagged": False})
    docx = "OUT / 'report.docx'" if o["docx"] else "None"
    lines = [
        "# the report: three-line tables, path diagram, methods-and-results paragraph",
        "with deterministic_figures():  # fixed SVG ids and dates: the same bytes on a rerun",
        f"    rep = report(inst, used, {kwargs},",
        f"                 {extras}, html=OUT / 'report.html', docx={docx})",
    ]
    if o["docx"]:
        lines.append("fix_zip_dates(OUT / 'report.docx')")
    return lines, {"report"}


STEPS = {"efa": _efa, "reliability": _reliability, "validity": _validity, "fit": _fit, "effects": _effects,
         "invariance": _invariance, "multilevel": _multilevel, "power": _power, "report": _report}
