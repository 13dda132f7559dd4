"""``analyze(recipe, out)``: run a recipe's analyses and write every result, the same bytes each run.

Each step is a call of govstats' public functions with the recipe's options; its results go to
files named after the step (``fit_params.csv``, ``effects.csv``, ...). ``manifest.json`` lists
the SHA-256 of every result file, of the recipe, instrument and data, and the seeds: all of it
identical on a rerun. ``provenance.json`` adds what differs between runs and machines (versions,
platform, paths, seconds taken) and is not itself compared by ``--verify``.
:func:`govstats.recipes.script.recipe_script` writes the same steps as a plain Python script.
"""

from __future__ import annotations

import errno
import time
import warnings
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from govstats.recipes.load import Recipe, load_recipe
from govstats.recipes.schema import FLAGS
from govstats.recipes.write import deterministic_figures, fix_zip_dates, sha256, write_json, write_svg, write_table

MANIFEST = "manifest.json"
PROVENANCE = "provenance.json"
DATA_FILE = "data.csv"  # simulated responses, written into the results folder
DEPENDENCIES = ("numpy", "pandas", "scipy", "statsmodels", "factor_analyzer", "scikit-learn", "matplotlib",
                "python-docx", "PyYAML")


@dataclass
class AnalysisRun:
    """What :func:`analyze` wrote.

    Attributes
    ----------
    out : Path
        The results folder.
    files : dict
        Result file name -> SHA-256, in the order written (the manifest's ``files``).
    seconds : dict
        Seconds taken per step and ``total``.
    notes : list of str
        What the run says about the data (exclusions) and any warnings the analyses gave.
    """

    out: Path
    files: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def text(self) -> str:
        lines = [f"{self.out}: {len(self.files)} result files, manifest.json and provenance.json "
                 f"({self.seconds.get('total', 0):.1f} s)"]
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)


def analyze(recipe: Recipe | str | PathLike, out: str | PathLike) -> AnalysisRun:
    r"""Run a recipe and write every result, a manifest and the provenance into ``out``.

    Parameters
    ----------
    recipe : Recipe or path
        A recipe (:func:`load_recipe`) or its YAML file.
    out : path
        The results folder (created if missing; files of the same name in it are overwritten).

    Returns
    -------
    AnalysisRun

    Examples
    --------
    >>> import tempfile, warnings; warnings.simplefilter("ignore")
    >>> from pathlib import Path
    >>> from govstats.recipes import analyze
    >>> from govstats.resources import instruments_dir
    >>> root = instruments_dir().parent
    >>> with tempfile.TemporaryDirectory() as out:
    ...     recipe = Path(out) / "recipe.yaml"
    ...     _ = recipe.write_text(f"instrument: {root / 'instruments' / 'grid_governance.yaml'}\n"
    ...                           f"data: {root / 'data' / 'synthetic' / 'grid_governance.csv'}\n"
    ...                           "analyses: [validity]\n", encoding="utf-8")
    ...     sorted(analyze(recipe, Path(out) / "results").files)
    ['check_problems.csv', 'exclusions.csv', 'flagged.csv', 'scores.csv', 'validity.json', 'validity_fornell_larcker.csv', 'validity_htmt.csv']
    """
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(errno.EEXIST, "exists and is a file", str(out))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run = AnalysisRun(out=out)
    written: list[Path] = []

    def done(step: str, t0: float) -> None:
        run.seconds[step] = round(time.perf_counter() - t0, 3)

    from govstats import check_responses, load_instrument, read_responses, score

    t0 = time.perf_counter()
    inst = load_instrument(recipe.instrument)
    data_files = _read_inputs(recipe, inst, out, written)
    if recipe.simulate:
        data = read_responses(out / DATA_FILE, inst)
    else:
        frames = [read_responses(f, inst, encoding=recipe.data.get("encoding"), source=recipe.data["source"],
                                 mapping=recipe.data.get("mapping")) for f in recipe.data["files"]]
        data = frames[0] if len(frames) == 1 else stack(frames)
    done("read", t0)

    t0 = time.perf_counter()
    check = check_responses(inst, data, thresholds=recipe.thresholds)
    written.append(write_table(check.problems, out / "check_problems.csv"))
    written.append(write_table(check.flagged, out / "flagged.csv"))
    used, excluded = exclude(data, check, recipe.exclude)
    written.append(write_table(excluded, out / "exclusions.csv"))
    run.notes.append(f"{len(data)} respondents read, {len(excluded)} excluded "
                     f"({', '.join(recipe.exclude) or 'no exclusion rules'}), {len(used)} analysed")
    scores = score(inst, used, min_answered=recipe.score["min_answered"], thresholds=recipe.thresholds)
    written.append(write_table(scores, out / "scores.csv"))
    done("check_and_score", t0)

    results = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, options in recipe.analyses.items():
            t0 = time.perf_counter()
            results[name] = STEPS[name](inst, used, options, recipe, out, written, results)
            done(name, t0)
    for message in dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught):
        run.notes.append(f"warning: {message}")

    run.files = {path.name: sha256(path) for path in written}
    manifest = {
        "title": recipe.title,
        "recipe": {"file": recipe.path.name, "sha256": recipe.sha256},
        "instrument": {"id": inst.id, "version": inst.version, "file": recipe.instrument.name,
                       "sha256": sha256(recipe.instrument)},
        "data": data_files,
        "seeds": seeds(recipe),
        "exclude": list(recipe.exclude),
        "respondents": {"read": len(data), "excluded": len(excluded), "analysed": len(used)},
        "files": run.files,
    }
    write_json(manifest, out / MANIFEST)
    run.seconds["total"] = round(time.perf_counter() - started, 3)
    write_json(provenance(recipe, run), out / PROVENANCE)
    return run


def _read_inputs(recipe: Recipe, inst, out: Path, written: list) -> list[dict]:
    """Simulate the responses into ``out`` when the recipe says so; name and hash the data files."""
    if recipe.simulate:
        from govstats import simulate_to_csv

        truth = simulate_to_csv(inst, recipe.simulate["n"], out / DATA_FILE, **simulate_options(recipe))
        truth.to_json(out / "truth.json")
        written += [out / DATA_FILE, out / "truth.json"]
        return [{"file": DATA_FILE, "sha256": sha256(out / DATA_FILE), "simulated": True}]
    folder = recipe.path.parent
    return [{"file": _relative(f, folder), "sha256": sha256(f)} for f in recipe.data["files"]]


def simulate_options(recipe: Recipe) -> dict:
    """Keyword arguments of :func:`govstats.simulate_to_csv` other than ``n``."""
    return {k: v for k, v in recipe.simulate.items() if k != "n"}


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        import os

        return Path(os.path.relpath(path, folder)).as_posix()


def stack(frames):
    """Response files of one instrument, one after another, rows numbered as one file (header = row 1)."""
    import pandas as pd

    data = pd.concat(frames, ignore_index=True)
    data.index = pd.RangeIndex(2, 2 + len(data), name="row")
    return data


def exclude(data, check, rules):
    """The respondents left after the exclusion rules, and a table of those excluded and why."""
    flagged = check.flagged
    columns = [FLAGS[rule] for rule in rules]
    hit = flagged[columns].any(axis=1) if columns else flagged["flagged"] & False
    rows = flagged.loc[hit, "row"]
    excluded = flagged.loc[hit, ["row", "respondent_id", "reasons"]]
    return data.drop(index=rows), excluded


def seeds(recipe: Recipe) -> dict:
    """Every seed the run used, by step."""
    out = {}
    if recipe.simulate:
        out["simulate"] = recipe.simulate["seed"]
    for name in ("efa", "effects", "power", "report"):
        if name in recipe.analyses:
            out[name] = recipe.seed_of(name)
    return out


def provenance(recipe: Recipe, run: AnalysisRun) -> dict:
    import platform
    import sys
    from importlib import metadata

    from govstats import __version__

    versions = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "govstats": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "dependencies": versions,
        "recipe": str(recipe.path),
        "instrument": str(recipe.instrument),
        "data": [str(f) for f in recipe.data.get("files", [])] or [str(run.out / DATA_FILE)],
        "seconds": run.seconds,
        "notes": run.notes,
        "manifest_sha256": sha256(run.out / MANIFEST),
    }


# -- the analyses: one function each, (instrument, analysed data, options, recipe, out, written, earlier results)


def run_efa(inst, used, o, recipe, out, written, results):
    from govstats import efa

    e = efa(used, n_factors=o["n_factors"], method=o["method"], rotation=None if o["rotation"] == "none"
            else o["rotation"], seed=recipe.seed_of("efa"), instrument=inst)
    written.append(write_table(e.loadings, out / "efa_loadings.csv", index=True))
    written.append(write_table(e.variance, out / "efa_variance.csv", index=True))
    written.append(write_json({"kmo": e.kmo, "bartlett": e.bartlett, "n_factors": e.n_factors,
                               "n_suggested": e.n_suggested, "nobs": e.nobs}, out / "efa.json"))
    return e


def run_reliability(inst, used, o, recipe, out, written, results):
    from govstats import reliability

    r = reliability(inst, used, level=o["level"])
    written.append(write_table(r.table, out / "reliability.csv", index=True))
    written.append(write_table(r.items, out / "reliability_items.csv"))
    return r


def run_validity(inst, used, o, recipe, out, written, results):
    from govstats import validity

    v = validity(inst, used)
    written.append(write_table(v.fornell_larcker, out / "validity_fornell_larcker.csv", index=True))
    written.append(write_table(v.htmt, out / "validity_htmt.csv", index=True))
    written.append(write_json({"cr": v.cr, "ave": v.ave}, out / "validity.json"))
    return v


def run_fit(inst, used, o, recipe, out, written, results):
    from govstats import fit, path_diagram

    res = fit(inst, used, estimator=o["estimator"], ordered=True if o["ordered"] else None, missing=o["missing"],
              cluster=o["cluster"], std_lv=o["std_lv"])
    written.append(write_table(res.params, out / "fit_params.csv"))
    written.append(write_json({"converged": res.converged, "nobs": res.nobs, "estimator": res.estimator,
                               "fit_measures": res.fit_measures}, out / "fit.json"))
    if o["path_diagram"]:
        written.append(write_svg(path_diagram(res, inst, lang=o["lang"]), out / "path_diagram.svg"))
    return res


def run_effects(inst, used, o, recipe, out, written, results):
    from govstats import fit

    draws = o["bootstrap"]
    res = fit(inst, used, estimator=o["estimator"], ordered=True if o["ordered"] else None, missing=o["missing"],
              cluster=o["cluster"], bootstrap=draws, seed=recipe.seed_of("effects"),
              ci=o["ci"] or ("perc" if draws else "monte_carlo"))
    written.append(write_table(res.effects(), out / "effects.csv"))
    return res


def run_invariance(inst, used, o, recipe, out, written, results):
    from govstats import invariance

    res = invariance(inst, used, group=o["group"], estimator=o["estimator"], ordered=True if o["ordered"] else None,
                     levels=o["levels"], partial=o["partial"], missing=o["missing"])
    written.append(write_table(res.table, out / "invariance.csv", index=True))
    return res


def run_multilevel(inst, used, o, recipe, out, written, results):
    from govstats import multilevel

    res = multilevel(inst, used, cluster=o["cluster"], mixed=o["mixed"], level=o["level"])
    written.append(write_table(res.table, out / "multilevel.csv", index=True))
    written.append(write_table(res.items, out / "multilevel_items.csv", index=True))
    return res


def run_power(inst, used, o, recipe, out, written, results):
    from govstats import power

    res = power(inst, n=o["n"], reps=o["reps"], seed=recipe.seed_of("power"), estimator=o["estimator"],
                cluster_size=o["cluster_size"], targets=o["targets"])
    written.append(write_table(res.summary, out / "power.csv"))
    written.append(write_table(res.fit_tests, out / "power_fit_tests.csv"))
    if o["plot"]:
        written.append(write_svg(res.plot(), out / "power.svg"))
    return res


def run_report(inst, used, o, recipe, out, written, results):
    from govstats import report

    with deterministic_figures():
        rep = report(inst, used, lang=o["lang"], estimator=o["estimator"], bootstrap=o["bootstrap"],
                     seed=recipe.seed_of("report"), ci=o["ci"], group=o["group"], cluster=o["cluster"],
                     exclude_flagged=False, invariance=results.get("invariance"),
                     multilevel=results.get("multilevel"), power=results.get("power"),
                     html=out / "report.html", docx=out / "report.docx" if o["docx"] else None)
    written.append(out / "report.html")
    if o["docx"]:
        written.append(fix_zip_dates(out / "report.docx"))
    return rep


STEPS = {"efa": run_efa, "reliability": run_reliability, "validity": run_validity, "fit": run_fit,
         "effects": run_effects, "invariance": run_invariance, "multilevel": run_multilevel, "power": run_power,
         "report": run_report}

