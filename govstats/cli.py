"""The ``govstats`` command line. Thin: every command is a call of a public function."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys

from govstats import __version__
from govstats.cli_multilevel import add_parser as add_multilevel_parser
from govstats.cli_notebooks import add_parser as add_notebooks_parser
from govstats.cli_power import add_parser as add_power_parser
from govstats.cli_read import add_read_arguments
from govstats.cli_validate import add_diff_parser, add_validate_parser
from govstats.errors import InstrumentError
from govstats.recipes.cli_analyze import add_parser as add_analyze_parser
from govstats.reporting.cli_report import add_parser as add_report_parser

# Only the standard library and govstats.errors at import time: `govstats --help` builds the
# parser without numpy, pandas or scipy; each command imports what it needs when it runs.


def _utf8_streams() -> None:
    # Chinese text must print on consoles whose default encoding is not UTF-8 (Windows, C locale).
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")


def cmd_instrument_check(args: argparse.Namespace) -> int:
    from govstats.instrument import load_instrument

    report, failed = [], 0
    for path in args.paths:
        try:
            inst = load_instrument(path)
        except InstrumentError as exc:
            failed += 1
            report.append({"file": path, "valid": False, "problems": [p.to_dict() for p in exc.problems]})
            if not args.json:
                print(f"{path}: {len(exc.problems)} problem(s)", file=sys.stderr)
                for p in exc.problems:
                    print(f"  {p}", file=sys.stderr)
            continue
        report.append({"file": path, "valid": True, "problems": [], "id": inst.id})
        if not args.json:
            print(f"{path}: ok ({inst.id} {inst.version}: {len(inst.constructs)} constructs, "
                  f"{len(inst.items)} items, {len(inst.model.paths)} paths)")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if failed else 0


def cmd_instrument_show(args: argparse.Namespace) -> int:
    from govstats.instrument import load_instrument

    print(load_instrument(args.path).summary(lang=args.lang))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from govstats.data import simulate_to_csv
    from govstats.instrument import load_instrument

    inst = load_instrument(args.instrument)
    truth = simulate_to_csv(
        inst, args.n, args.output, seed=args.seed, communities=args.communities, districts=args.districts,
        missing=args.missing, missing_mechanism=args.missing_mechanism, careless=args.careless,
        speeders=args.speeders, group=args.group, differences=[_difference(text) for text in args.difference],
    )
    if args.truth:
        truth.to_json(args.truth)
    rows = truth.rows
    print(f"{args.output}: {args.n} respondents of {inst.id} {inst.version} in {args.communities} communities "
          f"(seed {truth.settings['seed']}); careless {int((rows['careless'] != '').sum())}, "
          f"speeders {int(rows['speeder'].sum())}, blank item cells {int(rows['n_missing'].sum())}"
          + (f"; truth in {args.truth}" if args.truth else ""))
    return 0


def _difference(text: str) -> dict:
    """``ITEM@GROUP:loading=0.35`` or ``ITEM@GROUP:intercept=0.6`` -> a difference for simulate()."""
    where, _, what = text.partition(":")
    item, _, group = where.partition("@")
    kind, _, value = what.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = None
    if not item or not group or kind not in ("loading", "intercept") or number is None:
        raise ValueError(f"--difference {text!r}: write ITEM@GROUP:loading=VALUE or ITEM@GROUP:intercept=VALUE, "
                         "e.g. CD2@D3:loading=0.35")
    return {"item": item.strip(), "group": group.strip(), kind: number}


def cmd_check(args: argparse.Namespace) -> int:
    from govstats.data import check_responses
    from govstats.cli_read import read_data
    from govstats.instrument import load_instrument

    inst = load_instrument(args.instrument)
    report = check_responses(inst, read_data(args, inst, args.responses), thresholds=_thresholds(args.threshold))
    print(report.text(max_problems=args.show))
    if args.json:
        report.to_json(args.json)
        print(f"\nreport (every problem, the flagged respondents): {args.json}")
    if args.flagged:
        report.flagged.to_csv(args.flagged, index=False, lineterminator="\n")
        print(f"flagged respondents ({len(report.flagged)}): {args.flagged}")
    return 1 if args.strict and report.has_schema_problems else 0


def cmd_score(args: argparse.Namespace) -> int:
    from govstats.data import score
    from govstats.cli_read import read_data
    from govstats.data.score import write_scores
    from govstats.instrument import load_instrument

    inst = load_instrument(args.instrument)
    scores = score(inst, read_data(args, inst, args.responses),
                   min_answered=args.min_answered, exclude_flagged=args.exclude_flagged,
                   thresholds=_thresholds(args.threshold))
    write_scores(scores, args.output)  # rounded to 6 decimals (SCORE_DECIMALS)
    print(f"{args.output}: {scores.attrs['score']['summary']}")
    return 0


def _threshold(text: str) -> tuple[str, float]:
    """NAME=VALUE (argument type of --threshold), e.g. longstring_share=0.6."""
    from govstats.data.quality import THRESHOLDS

    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in THRESHOLDS:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with NAME one of {', '.join(THRESHOLDS)}; "
                                         f"got {text!r}")
    try:
        number = _share(value)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{name} must be a share in (0, 1] such as 0.5 or 1/3; "
                                         f"got {value!r}") from None
    return name, number


def _thresholds(pairs) -> dict | None:
    return dict(pairs) if pairs else None


def _share(text: str) -> float:
    """A share such as 0.67 or 2/3 (argument type of --min-answered)."""
    try:
        num, _, den = text.partition("/")
        value = float(num) / float(den) if den else float(num)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"expected a share such as 0.67 or 2/3, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share in (0, 1], got {text!r}")
    return value


def cmd_form(args: argparse.Namespace) -> int:
    from govstats.forms import write_form
    from govstats.instrument import load_instrument

    inst = load_instrument(args.instrument)
    out = write_form(inst, args.output, format=args.format, lang=args.lang)
    if args.format == "wenjuanxing":
        from govstats.forms.wenjuanxing import wenjuanxing_notes

        print(f"{out}: the questionnaire for Wenjuanxing's text import (批量添加题目); paste it into the editor.")
        print("Then set in the editor what the text cannot carry:")
        print("\n".join(f"  {note}" for note in wenjuanxing_notes(inst)))
        return 0
    print(f"{out}: {args.format} form ({args.lang})")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from govstats.forms import write_schema
    from govstats.instrument import load_instrument

    out = write_schema(load_instrument(args.instrument), args.output, format=args.format)
    print(f"{out}: {args.format}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from govstats.cli_read import read_data
    from govstats.forms import write_spss
    from govstats.instrument import load_instrument

    inst = load_instrument(args.instrument)
    data = read_data(args, inst)  # what export_responses() does, told
    out = write_spss(data, inst, args.output, format=args.format, lang=args.lang)
    print(f"{out}: {args.format} with {args.lang} labels, {len(data)} rows")
    matched = data.attrs.get("govstats_read", {}).get("renamed", {})
    if matched:
        shown = ", ".join(f"'{old}' -> {new}" for old, new in list(matched.items())[:5])
        print(f"  {len(matched)} column(s) named by their item id: {shown}{' ...' if len(matched) > 5 else ''}")
    return 0


def _ordered(args: argparse.Namespace):
    if not args.ordered:
        return None
    return True if args.ordered == "all" else [name.strip() for name in args.ordered.split(",") if name.strip()]


def cmd_fit(args: argparse.Namespace) -> int:
    from govstats.cli_read import load_model, read_data
    from govstats.sem.fit import fit

    model = load_model(args.model)
    # an instrument: read as check reads it (fit leaves out what it calls no answer); syntax: a table
    data = read_data(args, model)
    ordered = _ordered(args)
    split = lambda text: [part.strip() for part in text.split(",") if part.strip()]
    import warnings

    from govstats.errors import DataError, GovstatsWarning
    from govstats.sem.syntax import ModelSyntaxError

    result, caught = None, []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")  # once per place: a warning inside a loop is not recorded each time
            result = fit(model, data, estimator=args.estimator, ordered=ordered, missing=args.missing,
                         cluster=args.cluster, group=args.group, group_equal=split(args.group_equal),
                         group_partial=split(args.group_partial), se=args.se, test=args.test, std_lv=args.std_lv,
                         parameterization=args.parameterization, auxiliary=split(args.auxiliary),
                         **_draw_options(args))
    except ModelSyntaxError as exc:  # the message names the line; the user needs the file too
        raise ModelSyntaxError(f"{args.model}: {exc}") from None
    except DataError as exc:  # the message names the column or row; the user needs the file too
        raise DataError(f"{args.data}: {exc}") from None
    finally:
        # the summary's "Warnings:" section lists the estimation's own warnings: show the others once
        for w in caught:
            if not (issubclass(w.category, GovstatsWarning) and result is not None and result.warnings_):
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    print(result.summary())
    if args.json:
        result.to_json(args.json)
    return 0 if result.converged else 1


def cmd_invariance(args: argparse.Namespace) -> int:
    import warnings

    from govstats.errors import DataError
    from govstats.sem.invariance import invariance
    from govstats.sem.syntax import ModelSyntaxError

    from govstats.cli_read import load_model, read_data

    model = load_model(args.model)
    data = read_data(args, model)
    split = lambda text: [part.strip() for part in text.split(",") if part.strip()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            result = invariance(model, data, group=args.group, ordered=_ordered(args), estimator=args.estimator,
                                levels=split(args.levels) or None, partial=split(args.partial),
                                missing=args.missing, cluster=args.cluster)
    except ModelSyntaxError as exc:
        raise ModelSyntaxError(f"{args.model}: {exc}") from None
    except DataError as exc:
        raise DataError(f"{args.data}: {exc}") from None
    print(result.summary())
    failing = [step for step, d in result.table["decision"].items() if d == "fails"]
    if args.suggest and failing:
        step = failing[0]
        if result.ordinal:
            print(f"\n--suggest: score tests are computed for ML-family fits; free parameters of the {step} step by "
                  "content and rerun with --partial.")
        else:
            suggestion = result.suggest_partial(step)
            print(f"\nParameters to free at the {step} step, one at a time by score tests (rerun with --partial "
                  f"{','.join(suggestion.free)}):")
            print(suggestion.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    try:
        means = result.latent_means()
    except ValueError:
        means = None
    if means is not None:
        print("\nLatent means against the first group (std: in the group's own factor SDs):")
        print(means.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.csv:
        result.table.to_csv(args.csv, encoding="utf-8-sig")
    return 0


def _draw_options(args: argparse.Namespace) -> dict:
    """fit()'s bootstrap, Monte Carlo and executor options from --bootstrap, --seed, --ci, --workers, --scheduler."""
    if args.workers is not None and args.scheduler is not None:
        raise ValueError("Give --workers (local processes) or --scheduler (a Dask cluster), not both.")
    options = {"bootstrap": args.bootstrap, "seed": args.seed, "ci": args.ci}
    if args.scheduler is not None:
        options["executor"] = args.scheduler
    elif args.workers is not None:
        options["workers"] = args.workers
    return {k: v for k, v in options.items() if v is not None}


def _add_draw_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap", type=int, metavar="N", help="bootstrap draws: SEs and intervals from N resamples "
                                                              "of respondents (of clusters with --cluster)")
    p.add_argument("--seed", type=int, help="seed of the bootstrap or Monte Carlo draws (the same numbers on any "
                                            "number of workers)")
    p.add_argument("--ci", choices=("perc", "bc", "bca", "norm", "basic", "monte_carlo"),
                   help="interval type: percentile (default with --bootstrap), bias-corrected, BCa, normal, basic; "
                        "monte_carlo without --bootstrap")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes for the draws (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDR", help="run the draws on a Dask cluster (tcp://host:port)")


def cmd_effects(args: argparse.Namespace) -> int:
    from govstats.cli_read import load_model, read_data
    from govstats.sem.fit import fit

    model = load_model(args.model)
    data = read_data(args, model)
    ordered = None
    if args.ordered:
        ordered = True if args.ordered == "all" else [name.strip() for name in args.ordered.split(",") if name.strip()]
    result = fit(model, data, estimator=args.estimator, ordered=ordered, cluster=args.cluster,
                 **_draw_options(args))
    table = result.effects()
    print(effects_text(result, table))
    if args.csv:
        table.to_csv(args.csv, index=False, encoding="utf-8-sig")
    return 0 if result.converged else 1


def effects_text(result, table) -> str:
    """The effects table as a paper reports it: paths, estimates, SEs, intervals, standardized values."""
    boot = result.bootstrap
    if boot is not None and boot.requested:
        how = (f"bootstrap: {boot.successful} of {boot.requested} draws, {boot.ci} intervals, "
               f"seed {boot.seed}")
    elif result.options.get("ci") == "monte_carlo":
        how = "Monte Carlo intervals (20000 draws)"
    else:
        how = "delta-method SEs, Wald intervals"
    lines = [f"Direct, indirect and total effects ({result.estimator}, N = {result.nobs}; {how}; 95% intervals)", ""]
    if table.empty:
        return "\n".join(lines + ["  The model has no chain of two or more regressions: no indirect effects."])
    shown = table.assign(path=[p if e in ("direct", "indirect") else f"{x} -> {y}" for p, e, x, y in
                               zip(table.path, table.effect, table.predictor, table.outcome)])
    columns = ["effect", "path", "est", "se", "ci_lower", "ci_upper", "std_all", "std_ci_lower", "std_ci_upper"]
    if table.group.nunique() > 1:
        columns.insert(0, "group")
    text = shown[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}")
    return "\n".join(lines + ["  " + line for line in text.splitlines()])


def _instrument_items(inst) -> list[str]:
    return [i for c in inst.constructs for i in c.item_ids]


def cmd_efa(args: argparse.Namespace) -> int:
    from govstats.data.analysis_frame import analysis_frame
    from govstats.cli_read import load_model, read_data
    from govstats.measurement import efa, harman
    from govstats.measurement.constructs import parse_measurement

    inst = load_model(args.instrument)
    # an instrument: read as check reads it (ids as text, labels as codes, .sav user-missing values known);
    # efa and harman then leave out what the instrument calls no answer, and say so. Syntax: its items as written
    data = read_data(args, inst)
    if isinstance(inst, str):
        items = [i for its in parse_measurement(inst, "efa").values() for i in its]
        if not items:
            raise ValueError(f"The model file {args.instrument!r} has no '=~' line: efa analyses the items of the "
                             f"constructs it defines (Construct =~ item1 + item2 + ...).")
        inst = None
    else:
        items = _instrument_items(inst)
    result = efa(data, n_factors=args.n_factors, method=args.method,
                 rotation=None if args.rotation == "none" else args.rotation, items=items, seed=args.seed,
                 instrument=inst)
    h = harman(analysis_frame(inst, data, items, "efa").data if inst is not None else data, items)
    print(result.text())
    print(f"\n{h.text()}")
    for problem in result.problems:
        print(f"  note: {problem}")
    if args.json:
        out = result.to_dict()
        out["harman"] = h.to_frame().iloc[0].to_dict()
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, ensure_ascii=False, indent=2, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    return 0


def cmd_reliability(args: argparse.Namespace) -> int:
    from govstats.cli_read import load_model, read_data
    from govstats.measurement import reliability

    model = load_model(args.instrument)  # an instrument, or lavaan-style measurement syntax
    result = reliability(model, read_data(args, model))
    print(result.text())
    print("\n" + item_table(result))
    if result.n_dropped:
        print(f"\n  note: {result.n_dropped} rows with a blank or non-numeric item left out listwise")
    if args.json:
        result.to_json(args.json)
    return 0


def item_table(result) -> str:
    """The item statistics reviewers ask for (corrected item-total r, alpha if deleted), as text."""
    from govstats.measurement.tables import text_table

    items = result.items.set_index("item")[["construct", "reversed", "raw_r", "r_drop", "alpha_if_deleted"]]
    items = items.assign(reversed=items["reversed"].map({True: "yes", False: ""}))
    items.columns = ["Construct", "Reversed", "Item-total r", "Corrected r", "Alpha if deleted"]
    items.index.name = "Item"
    return text_table("Table. Item statistics", items,
                      "Note. Corrected r: correlation of the item with the sum of the construct's other items "
                      "(psych's r.drop); alpha if deleted: the construct's alpha without the item. An item whose "
                      "corrected r is below .30, or whose deletion raises alpha, deserves a second look.")


def _demo_validation(out: str | None) -> int:
    """The pilot -> revision -> main-study path on a seed instrument (govstats demo --validation)."""
    import tempfile

    from govstats.validation.walkthrough import pilot_to_main

    print(f"govstats {__version__} demo: validating an instrument, pilot -> revision -> main study.\n")
    if out is not None:
        pilot_to_main(out)
        return 0
    with tempfile.TemporaryDirectory(prefix="govstats-demo-") as folder:
        pilot_to_main(folder)
        print(f"\n(files written to {folder}, a temporary folder, removed again: --out DIR keeps them)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from govstats.instrument import load_instrument
    from govstats.resources import DEMO_INSTRUMENT, seed_instrument_path

    from pathlib import Path

    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        # checked before the demo runs, not at step 5
        raise FileExistsError(errno.EEXIST, "exists and is a file", args.out)
    if args.validation:
        return _demo_validation(args.out)
    path = seed_instrument_path(DEMO_INSTRUMENT)
    print(f"govstats {__version__} demo: the main job, step by step, on a seed instrument.\n")
    print(f"Step 1. Load and check the instrument {path.name}")
    inst = load_instrument(path)
    print(f"  {inst!r}\n")
    print(inst.summary(lang=args.lang))

    from govstats.data import simulate

    print(f"\nStep 2. Simulate {DEMO_N} respondents in 30 communities from the instrument's population model")
    # field data have blanks: 3% of item cells, more of them among older respondents (MAR, on age), which
    # the fit handles by FIML (or pairwise statistics for ordinal items)
    from govstats.sem.invariance_demo import DEMO_DIFFERENCES

    # and districts that answer some items differently (non-invariance, found again in step 8)
    sim = simulate(inst, DEMO_N, seed=DEMO_SEED, careless=0.05, speeders=0.02, missing=0.03, missing_mechanism="MAR",
                   differences=DEMO_DIFFERENCES)
    df = sim.responses
    print(f"  {df.shape[0]} rows x {df.shape[1]} columns; {int((sim.truth.rows['careless'] != '').sum())} careless "
          f"and {int(sim.truth.rows['speeder'].sum())} speeding respondents planted (the truth records which)")
    with pd_options():
        print(df.iloc[:5, :14].to_string(index=False))
    first = inst.constructs[0]
    codes = list(first.items[0].scale.codes)
    shares = df[list(first.item_ids)].apply(lambda col: col.value_counts(normalize=True)).T
    shares = shares.reindex(columns=codes).fillna(0)
    print(f"\n  Answer shares of {first.id} ({first.name.get(args.lang)}):")
    print("  " + shares.round(2).to_string().replace("\n", "\n  "))

    from govstats.data import check_responses, score

    print("\nStep 3. Check the responses: every problem with its row, careless respondents flagged")
    report = check_responses(inst, df)
    print("\n".join(f"  {line}" if line else "" for line in report.text(max_problems=5).splitlines()))
    planted = set(sim.truth.rows.loc[(sim.truth.rows["careless"] != "") | sim.truth.rows["speeder"], "respondent_id"])
    caught = planted & set(report.flagged["respondent_id"])
    print(f"  The check flagged {len(caught)} of the {len(planted)} careless or speeding respondents planted.")
    print("\nStep 4. Score the constructs (reverse-coded items reversed; flagged respondents kept and marked)")
    scores = score(inst, df, report=report)
    print(f"  {scores.attrs['score']['summary']}")
    means = [f"{c.id}_mean" for c in inst.constructs[:6]]
    with pd_options():
        print("  " + scores[["respondent_id"] + means + ["flagged"]].head(5).round(2).to_string(index=False)
              .replace("\n", "\n  "))

    import tempfile

    from govstats.forms import write_form, write_schema

    # without --out the files go to a temporary folder that is removed again: a demo leaves nothing behind
    temporary = None if args.out else tempfile.TemporaryDirectory(prefix="govstats-demo-")
    out = Path(args.out) if args.out else Path(temporary.name)
    out.mkdir(parents=True, exist_ok=True)
    print(f"\nStep 5. Write the survey form and the data schema of {inst.id} to {out}")
    try:
        for path in (write_form(inst, out / f"{inst.id}.xlsx", format="xlsform"),
                     write_form(inst, out / f"{inst.id}.html", format="html"),
                     write_schema(inst, out / f"{inst.id}.schema.json", format="table-schema"),
                     write_schema(inst, out / f"{inst.id}.codebook.md", format="codebook")):
            print(f"  {path.name}")
    finally:
        if temporary is not None:
            temporary.cleanup()
            print("  (a temporary folder, removed again: --out DIR keeps the files)")

    from govstats.measurement import reliability

    print(f"\nStep 5b. Reliability and validity of the {len(inst.constructs)} constructs (all {len(df)} respondents)")
    rel = reliability(inst, df)
    print("\n".join(f"  {line}" if line else "" for line in rel.text().splitlines()))

    from govstats.sem.fit import fit

    careful = df[~df["respondent_id"].isin(report.flagged["respondent_id"])]
    how = {"WLSMV": "WLSMV, the Likert codes as ordinal", "MLR": "MLR, cluster-robust by community",
           "ML": "ML, the codes as continuous"}[args.estimator]
    print(f"\nStep 6. Fit the instrument's SEM ({how}) to the {len(careful)} unflagged respondents")
    import warnings

    # blanks: FIML for continuous codes, pairwise statistics for ordinal ones (no FIML there, as in lavaan)
    blanks = bool(careful[[i.id for i in inst.items if i.id in careful.columns]].isna().to_numpy().any())
    with warnings.catch_warnings():  # printed below as notes, in their place in the output
        warnings.simplefilter("ignore")
        if args.estimator == "WLSMV":
            result = fit(inst, careful, ordered=True, missing="pairwise" if blanks else "listwise")
        else:
            result = fit(inst, careful, estimator=args.estimator, missing="fiml" if blanks else "listwise",
                         cluster="community_id" if args.estimator == "MLR" else None)
    f = result.fit_measures
    stats = result.sample_statistics()
    how_blanks = (f"FIML over {stats.n_patterns} missing-data patterns" if stats.kind == "missing" else
                  "blanks handled pairwise" if result.options["missing"] == "pairwise" else
                  f"{result.n_dropped} with blank items left out listwise")
    print(f"  {result.nobs} used ({how_blanks}), "
          f"{'converged' if result.converged else 'NOT converged'} in {result.seconds:.2f} s")
    print(f"  {'':14s} {'chisq':>9s} {'df':>5s} {'p':>7s} {'CFI':>7s} {'TLI':>7s} {'RMSEA':>7s}")
    print(f"  {'standard':14s} {f['chisq']:9.1f} {f['df']:5.0f} {f['pvalue']:7.3f} {f['cfi']:7.3f} {f['tli']:7.3f}"
          f" {f['rmsea']:7.3f}")
    if "cfi_scaled" in f:
        print(f"  {'scaled':14s} {f['chisq_scaled']:9.1f} {f['df']:5.0f} {f['pvalue_scaled']:7.3f}"
              f" {f['cfi_scaled']:7.3f} {f['tli_scaled']:7.3f} {f['rmsea_scaled']:7.3f}")
    if "cfi_robust" in f:
        print(f"  {'robust':14s} {'':23s} {f['cfi_robust']:7.3f} {f['tli_robust']:7.3f} {f['rmsea_robust']:7.3f}")
    print(f"  SRMR = {f['srmr']:.3f}")
    for note in result.warnings_:
        print(f"  {note}")
    truth = sim.truth.params
    paths = result.params[result.params.op == "~"]
    print("  Structural paths: standardized estimate (population value)")
    for r in paths.itertuples():
        true = truth[(truth.op == "~") & (truth.lhs == r.lhs) & (truth.rhs == r.rhs)].est
        print(f"    {r.lhs + ' ~ ' + r.rhs:11s} {r.std_all:6.3f}  ({true.iloc[0]:.2f})   p = {r.pvalue:.3g}")
    # the mechanisms: indirect effects with bias-corrected bootstrap intervals (few draws to keep the
    # demo quick; papers use 2000-5000: govstats effects ... --bootstrap 5000 --ci bc)
    print(f"\nStep 7. Indirect effects of the mechanisms: ML, {DEMO_DRAWS} bootstrap draws, bias-corrected intervals")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot = fit(inst, careful, estimator="ML", missing="fiml" if blanks else "listwise", bootstrap=DEMO_DRAWS,
                   seed=DEMO_SEED, ci="bc")
    table = boot.effects()
    print("\n".join("  " + line for line in effects_text(boot, table[table.effect == "indirect"]).splitlines()))
    from govstats.sem.invariance_demo import demo_invariance

    demo_invariance(inst, careful, sim.truth, args.lang)
    from govstats.measurement.icc_truth import icc_truth_text

    print("\nStep 9. Residents within communities: how much of each construct lies between communities")
    print("\n".join(f"  {line}" if line else "" for line in
                    icc_truth_text(inst, careful, cluster="community_id", truth=sim.truth).splitlines()))
    from govstats.reporting.demo import write_demo_report

    write_demo_report(inst, df, report, boot, args.lang, Path(args.out) if args.out else None)
    return 0


EPILOG = """\
exit status:
  0  done (check: the responses were read and checked, whatever they hold, unless --strict)
  1  problems found: in an instrument, model syntax, responses or data that cannot be analysed
     as asked; a model that did not converge; check --strict with schema problems
  2  usage error: an unknown command or option, a value an option does not take, a file that
     does not exist or cannot be written
  3  internal error (a bug in govstats; GOVSTATS_DEBUG=1 shows the traceback)
Errors and warnings are printed on stderr, one line each ("warning: ..."), without a traceback."""

DEMO_N = 600
DEMO_DRAWS = 200
DEMO_SEED = 20261121


def pd_options():
    import pandas as pd

    return pd.option_context("display.width", 140, "display.max_columns", 20)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govstats",
        description="Survey instruments, response checks and SEM for community-governance research.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"govstats {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    inst = sub.add_parser("instrument", help="check or show instrument definitions")
    inst_sub = inst.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = inst_sub.add_parser("check", help="check instrument files; exit 1 if any has problems")
    check.add_argument("paths", nargs="+", metavar="PATH", help="instrument YAML files")
    check.add_argument("--json", action="store_true", help="print the problems as JSON on stdout")
    check.set_defaults(func=cmd_instrument_check)
    show = inst_sub.add_parser("show", help="a readable summary: constructs, items, model")
    show.add_argument("path", metavar="PATH")
    show.add_argument("--lang", choices=("en", "zh"), default="en", help="language shown first")
    show.set_defaults(func=cmd_instrument_show)
    add_diff_parser(inst_sub)

    simp = sub.add_parser("simulate", help="synthetic responses from an instrument's population model")
    simp.add_argument("instrument", metavar="INSTRUMENT", help="instrument YAML file")
    simp.add_argument("-n", type=int, required=True, help="number of respondents")
    simp.add_argument("--seed", type=int, default=None, help="random seed (same seed, same data)")
    simp.add_argument("-o", "--output", required=True, help="CSV file to write (UTF-8)")
    simp.add_argument("--truth", help="JSON file for the population values and the planted problems")
    simp.add_argument("--communities", type=int, default=30)
    simp.add_argument("--districts", type=int, default=3)
    simp.add_argument("--missing", type=float, default=0.0, help="share of item cells left empty")
    simp.add_argument("--missing-mechanism", choices=("MCAR", "MAR"), default="MCAR")
    simp.add_argument("--careless", type=float, default=0.0, help="share of careless respondents")
    simp.add_argument("--speeders", type=float, default=0.0, help="share of speeders")
    simp.add_argument("--group", default="district",
                      help="what --difference refers to: district (default), street, community or a single-choice "
                           "question")
    simp.add_argument("--difference", action="append", default=[], metavar="ITEM@GROUP:KIND=VALUE",
                      help="non-invariance, repeatable: CD2@D3:loading=0.35 (its standardized loading in D3), "
                           "CI3@D2:intercept=0.6 (its latent response shifted in D2)")
    simp.set_defaults(func=cmd_simulate)

    chk = sub.add_parser("check", help="check responses against an instrument: every problem with its row")
    chk.add_argument("instrument", metavar="INSTRUMENT", help="instrument YAML file")
    chk.add_argument("responses", metavar="RESPONSES", help="responses: CSV (UTF-8, GBK, ...), XLSX, XLS or SPSS .sav; "
                                                          "KoboToolbox and Wenjuanxing exports as downloaded")
    chk.add_argument("--json", metavar="OUT", help="write the whole report (every problem, flagged respondents) as JSON")
    chk.add_argument("--flagged", metavar="OUT.csv", help="write the flagged respondents, with reasons, as CSV")
    chk.add_argument("--strict", action="store_true", help="exit 1 when there is any schema problem")
    add_read_arguments(chk)
    chk.add_argument("--show", type=int, default=20, metavar="N", help="problems listed on the screen (default 20)")
    chk.add_argument("--threshold", type=_threshold, action="append", metavar="NAME=VALUE",
                     help="careless-respondent threshold, repeatable: longstring_share, straight_block_share, irv_share, "
                          "mahalanobis_alpha, speed_ratio, max_missing_share (defaults and how they scale with the "
                          "instrument: govstats.data.quality)")
    chk.set_defaults(func=cmd_check)

    scp = sub.add_parser("score", help="construct scores: mean, sum, standardized; flagged respondents marked")
    scp.add_argument("instrument", metavar="INSTRUMENT", help="instrument YAML file")
    scp.add_argument("responses", metavar="RESPONSES", help="responses: CSV (UTF-8, GBK, ...), XLSX or SPSS .sav")
    scp.add_argument("-o", "--output", required=True, help="CSV file to write the scores to (UTF-8; numbers rounded "
                                                           "to 6 decimals)")
    scp.add_argument("--exclude-flagged", action="store_true", help="leave out the respondents the check flags")
    scp.add_argument("--min-answered", type=_share, default=2 / 3, metavar="SHARE",
                     help="share of a construct's items needed for a score (default 2/3)")
    add_read_arguments(scp)
    scp.add_argument("--threshold", type=_threshold, action="append", metavar="NAME=VALUE",
                     help="careless-respondent threshold, repeatable: longstring_share, straight_block_share, irv_share, "
                          "mahalanobis_alpha, speed_ratio, max_missing_share (defaults and how they scale with the "
                          "instrument: govstats.data.quality)")
    scp.set_defaults(func=cmd_score)

    frm = sub.add_parser("form", help="survey form: XLSForm (ODK, KoboToolbox), Wenjuanxing text or printable HTML/PDF")
    frm.add_argument("instrument", metavar="INSTRUMENT", help="instrument YAML file")
    frm.add_argument("--format", choices=("xlsform", "wenjuanxing", "html", "pdf"), default="xlsform",
                     help="wenjuanxing: the questionnaire as text for Wenjuanxing's batch import (问卷星 批量添加题目)")
    frm.add_argument("--lang", choices=("zh", "en", "both"), default="both",
                     help="language(s) of a printed form; an XLSForm has both (en: English first)")
    frm.add_argument("-o", "--output", required=True, help="file to write (.xlsx, .txt, .html, .pdf)")
    frm.set_defaults(func=cmd_form)

    sch = sub.add_parser("schema", help="Table Schema, data package, codebook or DDI of the response file")
    sch.add_argument("instrument", metavar="INSTRUMENT", help="instrument YAML file")
    sch.add_argument("--format", choices=("table-schema", "datapackage", "codebook", "ddi"), default="table-schema",
                     help="codebook: Markdown, or HTML when OUT ends in .html; ddi: DDI-Codebook 2.5 XML")
    sch.add_argument("-o", "--output", required=True, help="file to write")
    sch.set_defaults(func=cmd_schema)

    exp = sub.add_parser("export", help="responses as SPSS .sav or Stata .dta with the instrument's labels")
    exp.add_argument("data", metavar="DATA", help="responses: CSV (UTF-8, GBK, ...), XLSX or SPSS .sav; headers may be "
                                                  "item ids or the question texts (Wenjuanxing, Kobo)")
    exp.add_argument("--instrument", required=True, metavar="INSTRUMENT", help="instrument YAML file")
    exp.add_argument("--format", choices=("sav", "dta"), default="sav")
    exp.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the labels")
    add_read_arguments(exp)
    exp.add_argument("-o", "--output", required=True, help="file to write")
    exp.set_defaults(func=cmd_export)

    fitp = sub.add_parser("fit", help="fit a CFA/SEM (lavaan-style syntax file or instrument YAML) to a CSV file")
    fitp.add_argument("model", metavar="MODEL", help="lavaan-style model syntax file, or an instrument YAML")
    fitp.add_argument("data", metavar="DATA", help="data file, one row per respondent: CSV (UTF-8, GBK, ...), XLSX, "
                                                  "XLS or SPSS .sav; with an instrument also KoboToolbox and "
                                                  "Wenjuanxing exports")
    fitp.add_argument("--estimator", default=None,
                      choices=("ML", "MLR", "MLM", "MLMV", "MLMVS", "GLS", "WLS", "DWLS", "ULS", "WLSMV", "ULSMV"),
                      help="default: ML, or WLSMV with --ordered")
    fitp.add_argument("--ordered", metavar="all|a,b,c",
                      help="treat the items as ordinal (Likert codes): 'all' observed variables or their names")
    fitp.add_argument("--missing", choices=("listwise", "pairwise", "fiml", "fiml.x", "ml", "ml.x"),
                      default="listwise",
                      help="fiml (lavaan's ml): full-information ML, every answer used (ML/MLR); fiml.x also keeps "
                           "rows with blank covariates; pairwise: ordered items only, each statistic from the rows "
                           "that inform it")
    fitp.add_argument("--auxiliary", metavar="a,b", default="",
                      help="with --missing fiml: columns outside the model (e.g. age, education) added as saturated "
                           "correlates (semTools' auxiliary), so that FIML uses them")
    fitp.add_argument("--parameterization", choices=("delta", "theta"), default="delta",
                      help="ordered items: scale of the latent responses (lavaan's default: delta)")
    fitp.add_argument("--cluster", help="column of cluster ids (communities): cluster-robust SEs and test")
    fitp.add_argument("--group", help="column of group labels (districts, roles): a multiple-group model")
    fitp.add_argument("--group-equal", metavar="a,b", default="",
                      help="parameters held equal across groups, as lavaan's group.equal: loadings, intercepts, "
                           "thresholds, residuals, means, regressions, lv.variances, ...")
    fitp.add_argument("--group-partial", metavar="a,b", default="",
                      help="exceptions to --group-equal, e.g. 'f=~x2,x3~1'")
    fitp.add_argument("--se", default=None, help="lavaan's se: standard, robust.huber.white, robust.cluster, "
                                                 "robust.sem, none (default: the estimator's)")
    fitp.add_argument("--test", default=None, help="lavaan's test: standard, yuan.bentler.mplus, satorra.bentler, "
                                                   "scaled.shifted, mean.var.adjusted")
    fitp.add_argument("--std-lv", action="store_true", help="fix factor variances to 1 instead of first loadings")
    fitp.add_argument("--json", help="write estimates and fit measures as JSON")
    add_read_arguments(fitp)
    _add_draw_arguments(fitp)
    fitp.set_defaults(func=cmd_fit)

    invp = sub.add_parser("invariance", help="measurement invariance across groups: configural, metric, scalar, "
                                             "strict, with lavaan's difference tests and Chen's criteria")
    invp.add_argument("model", metavar="MODEL", help="measurement model: lavaan-style syntax file or instrument YAML")
    invp.add_argument("data", metavar="DATA", help="responses: CSV (UTF-8, GBK, ...), XLSX or SPSS .sav")
    invp.add_argument("--group", required=True, help="column of group labels (district, role)")
    invp.add_argument("--estimator", default=None,
                      choices=("ML", "MLR", "MLM", "MLMV", "MLMVS", "GLS", "WLS", "DWLS", "ULS", "WLSMV", "ULSMV"),
                      help="default: ML, or WLSMV with --ordered")
    invp.add_argument("--ordered", metavar="all", help="'all': ordered items, the Wu & Estabrook (2016) sequence")
    invp.add_argument("--levels", metavar="a,b", default="",
                      help="steps in order (default configural,metric,scalar,strict; ordered: "
                           "configural,thresholds,metric,scalar)")
    invp.add_argument("--partial", metavar="a,b", default="",
                      help="parameters left free across groups in every step, e.g. 'CN=~CN2,IS3~1'")
    invp.add_argument("--suggest", action="store_true",
                      help="at the first failing step, suggest parameters to free by score tests")
    invp.add_argument("--missing", choices=("listwise", "pairwise", "fiml", "fiml.x", "ml", "ml.x"),
                      default="listwise", help="as for fit")
    invp.add_argument("--cluster", help="column of cluster ids (communities): cluster-robust SEs and tests (MLR)")
    invp.add_argument("--csv", metavar="OUT", help="write the comparison table as CSV (UTF-8 with BOM)")
    add_read_arguments(invp)
    invp.set_defaults(func=cmd_invariance)

    effp = sub.add_parser("effects", help="direct, specific indirect and total effects with bootstrap or Monte "
                                          "Carlo intervals (the mediation table)")
    effp.add_argument("model", metavar="INSTRUMENT", help="instrument YAML file, or a lavaan-style model syntax file")
    effp.add_argument("data", metavar="DATA", help="responses: CSV (UTF-8, GBK, ...), XLSX or SPSS .sav")
    effp.add_argument("--estimator", default=None,
                      choices=("ML", "MLR", "MLM", "MLMV", "MLMVS", "GLS", "WLS", "DWLS", "ULS", "WLSMV", "ULSMV"),
                      help="default: ML, or WLSMV with --ordered")
    effp.add_argument("--ordered", metavar="all|a,b,c", help="treat the items as ordinal: 'all' or their names")
    effp.add_argument("--cluster", help="column of cluster ids: the bootstrap resamples whole clusters")
    _add_draw_arguments(effp)
    add_read_arguments(effp)
    effp.add_argument("--csv", metavar="OUT", help="write the table as CSV (UTF-8 with BOM, opens in Excel)")
    effp.set_defaults(func=cmd_effects)

    efap = sub.add_parser("efa", help="KMO, Bartlett, parallel analysis, EFA loadings and Harman's test")
    efap.add_argument("instrument", metavar="MODEL", help="instrument YAML file (its items are analysed), or a "
                                                          "lavaan-style model file (the items of its =~ lines)")
    efap.add_argument("data", metavar="DATA", help="responses: CSV (UTF-8, GBK, ...), XLSX or SPSS .sav")
    efap.add_argument("--n-factors", type=int, default=None, help="factors (default: parallel analysis)")
    efap.add_argument("--method", choices=("minres", "ml", "principal"), default="minres")
    efap.add_argument("--rotation", choices=("oblimin", "promax", "varimax", "geomin", "none"), default="oblimin")
    efap.add_argument("--seed", type=int, default=1, help="seed of the parallel analysis")
    add_read_arguments(efap)
    efap.add_argument("--json", metavar="OUT", help="write every table as JSON")
    efap.set_defaults(func=cmd_efa)

    relp = sub.add_parser("reliability", help="alpha, omega, CR, AVE per construct; Fornell-Larcker and HTMT")
    relp.add_argument("instrument", metavar="MODEL", help="instrument YAML file, or a lavaan-style model file "
                                                          "(its =~ lines: construct -> items)")
    relp.add_argument("data", metavar="DATA", help="responses: CSV (UTF-8, GBK, ...), XLSX or SPSS .sav")
    add_read_arguments(relp)
    relp.add_argument("--json", metavar="OUT", help="write constructs, htmt and fornell_larcker as JSON")
    relp.set_defaults(func=cmd_reliability)
    add_multilevel_parser(sub)
    add_validate_parser(sub)

    add_report_parser(sub)

    demo = sub.add_parser("demo", help="run the main job end to end on a seed instrument")
    demo.add_argument("--lang", choices=("en", "zh"), default="en", help="language shown first")
    demo.add_argument("--out", metavar="DIR", help="folder to keep the form and schema in (created if missing; files "
                                                   "of the same name in it are overwritten); default: a temporary "
                                                   "folder, removed at the end")
    demo.add_argument("--estimator", choices=("WLSMV", "MLR", "ML"), default="WLSMV",
                      help="step 6: WLSMV on the Likert codes as ordinal (default), or ML/MLR (cluster-robust) "
                           "treating them as continuous")
    demo.add_argument("--validation", action="store_true",
                      help="instead of the main job: validate a seed instrument (simulated pilot with weak items, "
                           "item analysis, the authors' revision as a new version, main-study CFA)")
    demo.set_defaults(func=cmd_demo)
    add_power_parser(sub)
    add_analyze_parser(sub)
    add_notebooks_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; exit 0 when done, 1 when problems were found, 2 on usage errors (see ``--help``)."""
    from govstats.cli_messages import WarningPrinter, report_error

    _utf8_streams()
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors: argparse prints the usage and exits 2
    WarningPrinter().install()
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        print("govstats: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 -- every error becomes one message, never a traceback
        return report_error(exc, _subparser(parser, args))


def _subparser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser | None:
    """The parser of the command that ran (its options name the parameters in messages)."""
    found = parser
    for dest in ("command", "action"):
        name = getattr(args, dest, None)
        subs = [a for a in found._actions if isinstance(a, argparse._SubParsersAction)]
        if not name or not subs or name not in subs[0].choices:
            break
        found = subs[0].choices[name]
    return found


if __name__ == "__main__":
    raise SystemExit(main())
