"""The demo's last step: the report of its instrument, as HTML and Word."""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path


def write_demo_report(instrument, data, check, fit, lang: str, out: Path | None) -> list[Path]:
    """Write report.html and report.docx of ``data`` to ``out`` (a temporary folder, removed again,
    when None), reusing the demo's data check and bootstrap fit; print where they are."""
    from govstats.reporting.make_report import report

    print(f"\nStep 10. The report: tables, path diagram, plots and the methods-and-results paragraph ({lang})")
    temporary = None if out is not None else tempfile.TemporaryDirectory(prefix="govstats-demo-")
    folder = out if out is not None else Path(temporary.name)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():  # the fit's notes were printed in step 6
            warnings.simplefilter("ignore")
            rep = report(instrument, data, lang=lang, check=check, fit=fit)
        paths = [folder / "report.html", folder / "report.docx"]
        rep.to_html(paths[0])
        rep.to_docx(paths[1])
        print(f"  {len(rep.tables)} tables and {len(rep.figures)} figures in {time.perf_counter() - started:.1f} s:")
        for path in paths:
            print(f"  {path}")
    finally:
        if temporary is not None:
            temporary.cleanup()
            print("  (a temporary folder, removed again: --out DIR keeps the files)")
    return paths
