"""From fitted model to paper: APA three-line tables, a path diagram, plots, and a report in
HTML and Word, in Chinese or English.

The package is ``govstats.reporting`` (not ``report``, as DESIGN.md first had it): a subpackage
named like the public function :func:`govstats.report` would replace that function on the
``govstats`` module as soon as anything imported the subpackage (and its module is
make_report.py, not report.py, for the same reason one level down).

Names are imported on first use (as in ``govstats``), so that the command line can register
``govstats report`` without loading pandas or matplotlib.
"""

from importlib import import_module as _import_module

_LAZY = {
    "Figure": "govstats.reporting.figures",
    "Report": "govstats.reporting.build",
    "Table": "govstats.reporting.tables",
    "path_diagram": "govstats.reporting.diagram",
    "report": "govstats.reporting.make_report",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'govstats.reporting' has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value
    return value
