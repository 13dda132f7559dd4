"""From fitted model to paper: APA three-line tables, a path diagram, plots, and a report in
HTML and Word, in Chinese or English.

The package is ``govstats.reporting`` (not ``report``, as DESIGN.md first had it): a subpackage
named like the public function :func:`govstats.report` would replace that function on the
``govstats`` module as soon as anything imported the subpackage.
"""

from govstats.reporting.build import Report
from govstats.reporting.diagram import path_diagram
from govstats.reporting.figures import Figure
from govstats.reporting.report import report
from govstats.reporting.tables import Table

__all__ = ["Figure", "Report", "Table", "path_diagram", "report"]
