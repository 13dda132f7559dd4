"""The ``govstats`` command line. Thin: every command is a call of a public function."""

from __future__ import annotations

import argparse
import json
import os
import sys

from govstats import __version__
from govstats.errors import GovstatsError, InstrumentError
from govstats.instrument import load_instrument


def _utf8_streams() -> None:
    # Chinese text must print on consoles whose default encoding is not UTF-8 (Windows, C locale).
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")


def cmd_instrument_check(args: argparse.Namespace) -> int:
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
    print(load_instrument(args.path).summary(lang=args.lang))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from govstats.data import simulate_to_csv

    inst = load_instrument(args.instrument)
    truth = simulate_to_csv(
        inst, args.n, args.output, seed=args.seed, communities=args.communities, districts=args.districts,
        missing=args.missing, missing_mechanism=args.missing_mechanism, careless=args.careless,
        speeders=args.speeders,
    )
    if args.truth:
        truth.to_json(args.truth)
    rows = truth.rows
    print(f"{args.output}: {args.n} respondents of {inst.id} {inst.version} in {args.communities} communities "
          f"(seed {truth.settings['seed']}); careless {int((rows['careless'] != '').sum())}, "
          f"speeders {int(rows['speeder'].sum())}, blank item cells {int(rows['n_missing'].sum())}"
          + (f"; truth in {args.truth}" if args.truth else ""))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from govstats.resources import DEMO_INSTRUMENT, seed_instrument_path

    path = seed_instrument_path(DEMO_INSTRUMENT)
    print(f"govstats {__version__} demo: the main job, step by step, on a seed instrument.\n")
    print(f"Step 1. Load and check the instrument {path.name}")
    inst = load_instrument(path)
    print(f"  {inst!r}\n")
    print(inst.summary(lang=args.lang))

    from govstats.data import simulate

    print(f"\nStep 2. Simulate {DEMO_N} respondents in 30 communities from the instrument's population model")
    sim = simulate(inst, DEMO_N, seed=DEMO_SEED, careless=0.05, speeders=0.02, missing=0.02)
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
    return 0


DEMO_N = 600
DEMO_SEED = 20261121


def pd_options():
    import pandas as pd

    return pd.option_context("display.width", 140, "display.max_columns", 20)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govstats",
        description="Survey instruments, response checks and SEM for community-governance research.",
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
    simp.set_defaults(func=cmd_simulate)

    demo = sub.add_parser("demo", help="run the main job end to end on a seed instrument")
    demo.add_argument("--lang", choices=("en", "zh"), default="en", help="language shown first")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    _utf8_streams()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GovstatsError as exc:
        print(f"govstats: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError) as exc:
        print(f"govstats: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
