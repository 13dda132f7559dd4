"""``govstats notebooks --html OUT``: execute the notebooks and write them as HTML pages.

Standard library only at import time; the work is :func:`govstats.notebook_html.render_notebooks`.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("notebooks", help="execute the notebooks (tutorial, one per seed study) and write "
                                                "them as HTML pages for reading")
    p.add_argument("--html", required=True, metavar="OUT", help="folder to write <notebook>.html into")
    p.add_argument("--from", dest="folder", metavar="DIR",
                   help="folder of the notebooks (default: notebooks/ of this checkout)")
    p.add_argument("--only", metavar="a,b", default="", help="these notebooks only (file names without .ipynb)")
    p.add_argument("--no-execute", dest="execute", action="store_false",
                   help="render the notebooks as stored, without running them (no outputs)")
    p.set_defaults(func=cmd_notebooks)
    return p


def cmd_notebooks(args: argparse.Namespace) -> int:
    from govstats.notebook_html import render_notebooks

    names = [n.strip().removesuffix(".ipynb") for n in args.only.split(",") if n.strip()]
    for path in render_notebooks(args.html, folder=args.folder, execute=args.execute, names=names or None):
        print(path)
    return 0
