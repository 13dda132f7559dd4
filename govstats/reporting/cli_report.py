"""``govstats report INSTRUMENT DATA -o report.html [--docx report.docx] ...``"""

from __future__ import annotations

import argparse

from govstats.cli_read import add_read_arguments


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from govstats.reporting.make_report import report

    for name, value in (("instrument", args.instrument), ("data", args.data)):
        if not Path(value).is_file():
            raise FileNotFoundError(f"{name} file {value!r} "
                                    f"{'is a folder, not a file' if Path(value).is_dir() else 'does not exist'}")
    # the data file is read with the instrument (encodings and platform exports detected)
    rep = report(args.instrument, args.data, lang=args.lang, estimator=args.estimator, bootstrap=args.bootstrap or 0,
                 seed=args.seed, ci=args.ci, group=args.group, cluster=args.cluster,
                 exclude_flagged=not args.keep_flagged, measurement_diagram=args.measurement,
                 read_options={"encoding": args.encoding, "source": args.source, "mapping": args.mapping})
    rep.to_html(args.output)
    print(f"{args.output}: {len(rep.tables)} tables, {len(rep.figures)} figures ({args.lang})")
    if args.docx:
        rep.to_docx(args.docx)
        print(f"{args.docx}: the same tables and figures as a Word document")
    fit = rep.analyses.fit
    return 0 if fit.converged else 1


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("report", help="the analysis as a paper reports it: HTML (and Word) with three-line tables, "
                                      "a path diagram and a methods-and-results paragraph")
    p.add_argument("instrument", metavar="INSTRUMENT", help="instrument YAML file")
    p.add_argument("data", metavar="DATA", help="responses: CSV (UTF-8, GBK, ...), XLSX or SPSS .sav")
    p.add_argument("-o", "--output", required=True, metavar="OUT.html", help="HTML file to write (one self-contained "
                                                                             "page)")
    p.add_argument("--docx", metavar="OUT.docx", help="also write a Word document")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report (default zh)")
    p.add_argument("--estimator", choices=("ML", "MLR", "WLSMV"), default=None,
                   help="of the structural model (default ML, MLR with --cluster; WLSMV: items as ordinal)")
    p.add_argument("--bootstrap", type=int, metavar="N", help="bootstrap draws for the indirect effects (papers: "
                                                              "2000-5000); default: Monte Carlo intervals")
    p.add_argument("--seed", type=int, help="seed of every random step (default 1)")
    p.add_argument("--ci", choices=("perc", "bc", "bca", "norm", "basic"), help="bootstrap interval type")
    p.add_argument("--group", metavar="COL", help="column of groups: the measurement-invariance table")
    p.add_argument("--cluster", metavar="COL", help="column of communities: cluster-robust fit and multilevel table")
    p.add_argument("--keep-flagged", action="store_true", help="keep the respondents the data check flags")
    p.add_argument("--measurement", action="store_true", help="draw the items and loadings in the path diagram")
    add_read_arguments(p)
    p.set_defaults(func=cmd_report)
    return p
