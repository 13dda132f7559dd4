"""``govstats validate`` and ``govstats instrument diff``: their arguments and handlers.

Only argparse at import time (the command line starts without numpy and pandas).
"""

from __future__ import annotations

import argparse

from govstats.cli_read import add_read_arguments
import json


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return v


def cmd_validate(args: argparse.Namespace) -> int:
    from govstats.cli_read import read_data
    from govstats.instrument import load_instrument
    from govstats.validation import Criteria, validate

    inst = load_instrument(args.instrument)
    pilot = read_data(args, inst, args.pilot)
    main = read_data(args, inst, args.main) if args.main else None
    criteria = Criteria(citc_min=args.citc, loading_min=args.loading, cross_max=args.cross,
                        extreme_max=args.extreme, cr_test=args.cr_test)
    result = validate(inst, pilot, main=main, criteria=criteria, seed=args.seed)
    print(result.text())
    if args.output:
        result.write_html(args.output)
        print(f"\nreport written to {args.output}")
    if args.json:
        result.to_json(args.json)
    if args.record or args.record_to:
        from govstats.validation.record import record_validation

        entry = result.record(pilot_where=args.pilot_where, pilot_when=args.pilot_when,
                              main_where=args.main_where, main_when=args.main_when)
        done = record_validation(args.instrument, entry, new_version=args.new_version, out=args.record_to)
        kept = f"; version {done.old_version} kept as {done.previous}" if done.previous else ""
        print(f"\nrecorded: {done.path} is now version {done.new_version} with this run's evidence{kept}. "
              "Nothing else in it changed: drop or reword items yourself, then run govstats instrument diff.")
    return 0


def cmd_instrument_diff(args: argparse.Namespace) -> int:
    from govstats.instrument import load_instrument
    from govstats.instrument.diff import diff_instruments, diff_text

    old, new = load_instrument(args.old), load_instrument(args.new)
    print(diff_text(old, new))
    if args.csv:
        diff_instruments(old, new).to_csv(args.csv, index=False, encoding="utf-8-sig")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(diff_instruments(old, new).to_dict(orient="records"), fh, ensure_ascii=False, indent=2)
    return 0


def add_validate_parser(sub) -> None:
    """``govstats validate`` under the top-level subcommands."""
    p = sub.add_parser("validate", help="pilot item analysis (CR, CITC, alpha if deleted, item statistics), EFA, "
                                        "main-study CFA; a suggested action per item; --record writes the evidence "
                                        "into a new version of the instrument")
    p.add_argument("instrument", metavar="INSTRUMENT", help="instrument YAML file")
    p.add_argument("pilot", metavar="PILOT", help="pilot responses: CSV (UTF-8, GBK, ...), XLSX or SPSS .sav")
    p.add_argument("--main", metavar="MAIN", help="main-study responses: CFA, reliability and validity")
    p.add_argument("-o", "--output", metavar="OUT.html", help="write the report as HTML")
    p.add_argument("--json", metavar="OUT", help="write every table as JSON")
    p.add_argument("--citc", type=_share, default=0.30, help="minimum corrected item-total r (default .30; .40 is "
                                                             "the stricter reading)")
    p.add_argument("--loading", type=_share, default=0.50, help="minimum loading, EFA and CFA (default .50)")
    p.add_argument("--cross", type=_share, default=0.40, help="a loading this high on another factor is a "
                                                              "cross-loading (default .40)")
    p.add_argument("--extreme", type=_share, default=0.40, help="largest share of answers at the lowest or highest "
                                                                "point (default .40)")
    p.add_argument("--cr-test", choices=("student", "welch"), default="student",
                   help="t test of the critical ratio judged by the criteria: student (pooled variance, SPSS's "
                        "'equal variances assumed', default) or welch; both are in the table and JSON")
    p.add_argument("--seed", type=int, default=1, help="seed of the parallel analysis")
    add_read_arguments(p)
    rec = p.add_mutually_exclusive_group()
    rec.add_argument("--record", action="store_true",
                     help="write this run's evidence into INSTRUMENT's validation: section as a new version "
                          "(version bumped; the previous file kept as NAME.vOLD.yaml; comments and order kept)")
    rec.add_argument("--record-to", metavar="NEW.yaml", help="as --record, but write the new version to NEW.yaml "
                                                             "and leave INSTRUMENT as it is")
    p.add_argument("--new-version", metavar="V", help="version of the recorded file (default: 1.0.0 -> 1.1.0)")
    p.add_argument("--pilot-where", metavar="TEXT", help="where the pilot was fielded (recorded)")
    p.add_argument("--pilot-when", metavar="TEXT", help="when the pilot was fielded (recorded)")
    p.add_argument("--main-where", metavar="TEXT", help="where the main study was fielded (recorded)")
    p.add_argument("--main-when", metavar="TEXT", help="when the main study was fielded (recorded)")
    p.set_defaults(func=cmd_validate)


def add_diff_parser(instrument_sub) -> None:
    """``govstats instrument diff`` under the ``instrument`` subcommands."""
    p = instrument_sub.add_parser("diff", help="what changed between two versions: items added, dropped, reworded "
                                               "(zh, en), moved, scales, structural model")
    p.add_argument("old", metavar="OLD", help="the earlier version's YAML file")
    p.add_argument("new", metavar="NEW", help="the later version's YAML file")
    p.add_argument("--csv", metavar="OUT", help="write the changes as CSV (UTF-8 with BOM, opens in Excel)")
    p.add_argument("--json", metavar="OUT", help="write the changes as JSON")
    p.set_defaults(func=cmd_instrument_diff)
