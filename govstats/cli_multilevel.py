"""``govstats multilevel INSTRUMENT DATA --cluster community_id``: the aggregation table.

Kept out of cli.py (which registers it with one line) and out of govstats.measurement, whose
package import loads numpy and pandas: the command line must start without them.
"""

from __future__ import annotations

import argparse

from govstats.cli_read import add_read_arguments


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("multilevel", help="ICC(1) with CI, ICC(2), design effect, rwg(j), within/between "
                                                 "correlations per construct and item, by community")
    p.add_argument("instrument", metavar="INSTRUMENT",
                   help="instrument YAML file, or a lavaan-style model file ('F =~ a + b + c' lines)")
    p.add_argument("data", metavar="DATA", help="responses: CSV (UTF-8, GBK, ...), XLSX or SPSS .sav")
    p.add_argument("--cluster", default="community_id", metavar="COL",
                   help="column of each respondent's community (default: community_id)")
    p.add_argument("--categories", type=int, metavar="A",
                   help="answer categories of every item for rwg's uniform null (default: from the instrument's "
                        "scales, or the observed range with a model file)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level of the ICC(1) interval")
    p.add_argument("--no-mixed", dest="mixed", action="store_false",
                   help="skip the MixedLM estimate of ICC(1) (about 0.1 s per item and construct)")
    p.add_argument("--no-items", dest="items", action="store_false", help="print the construct table only")
    add_read_arguments(p)
    p.add_argument("--json", metavar="OUT", help="write every table as JSON")
    p.set_defaults(func=cmd_multilevel)
    return p


def cmd_multilevel(args: argparse.Namespace) -> int:
    from govstats.errors import DataError
    from govstats.measurement.multilevel import multilevel

    from govstats.cli_read import load_model, read_data

    # an instrument: read as check reads it (multilevel then leaves out what it calls no answer)
    model = load_model(args.instrument)
    data = read_data(args, model)
    try:
        result = multilevel(model, data, cluster=args.cluster, categories=args.categories, level=args.level,
                            mixed=args.mixed)
    except DataError as exc:  # the message names the column or cluster; the user needs the file too
        raise DataError(f"{args.data}: {exc}") from None
    print(result.text(items=args.items))
    if args.json:
        result.to_json(args.json)
    return 0
