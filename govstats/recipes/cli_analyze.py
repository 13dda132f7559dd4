"""``govstats analyze RECIPE -o OUT | --verify OUT | --to-script FILE``: reproducible analyses.

Kept out of cli.py (which registers it with one line); imports nothing heavy until it runs.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "analyze", help="run an analysis recipe (YAML): every result, a manifest and provenance; rerun it with "
                        "--verify and get the same bytes; --to-script writes it as a Python script",
        description="Run the analyses a recipe names and write every result into OUT; --verify OUT reruns the "
                    "recipe behind OUT and names each difference; --to-script FILE writes the recipe as a plain "
                    "Python script of govstats' functions. Exit 1 when the recipe has problems or --verify finds "
                    "a difference.")
    p.add_argument("recipe", metavar="RECIPE", nargs="?",
                   help="the recipe (YAML); with --verify, default: the recipe the results name")
    p.add_argument("-o", "--out", metavar="OUT", help="results folder to write (created if missing)")
    p.add_argument("--verify", metavar="OUT",
                   help="rerun the recipe that wrote the results folder OUT and compare every file")
    p.add_argument("--to-script", metavar="FILE", help="write the recipe as a Python script instead of running it")
    p.add_argument("--check", action="store_true", help="only check the recipe: every problem with its line")
    p.set_defaults(func=cmd_analyze)
    return p


def cmd_analyze(args: argparse.Namespace) -> int:
    chosen = [flag for flag, given in (("-o", args.out), ("--verify", args.verify), ("--to-script", args.to_script),
                                       ("--check", args.check)) if given]
    if len(chosen) != 1:
        raise ValueError("govstats analyze needs exactly one of -o OUT, --verify OUT, --to-script FILE or --check"
                         + (f"; got {' and '.join(chosen)}" if chosen else ""))
    if args.verify:
        return _verify(args)
    if not args.recipe:
        raise ValueError(f"govstats analyze {chosen[0]} needs the RECIPE file")
    from govstats.recipes.load import load_recipe

    recipe = load_recipe(args.recipe)
    if args.check:
        print(f"{args.recipe}: ok ({', '.join(recipe.analyses)})")
        return 0
    if args.to_script:
        from pathlib import Path

        from govstats.recipes.script import recipe_script

        Path(args.to_script).write_text(recipe_script(recipe, args.to_script), encoding="utf-8")
        print(f"{args.to_script}: the recipe as a Python script (python {args.to_script} [RESULTS_FOLDER])")
        return 0
    import warnings

    from govstats.recipes.run import analyze

    with warnings.catch_warnings():  # analyze() lists them in its notes and provenance; printed once below
        warnings.simplefilter("ignore")
        run = analyze(recipe, args.out)
    print(run.text())
    return 0


def _verify(args: argparse.Namespace) -> int:
    import warnings

    from govstats.recipes.verify import verify_results

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = verify_results(args.verify, recipe=args.recipe)
    if found:
        print(f"{args.verify}: {len(found)} difference(s) from a rerun of its recipe:", file=sys.stderr)
        for difference in found:
            print(f"  {difference}", file=sys.stderr)
        return 1
    print(f"{args.verify}: verified, the rerun wrote the same bytes in every result file")
    return 0
