"""govstats: survey instruments, response checks and SEM for community-governance research.

The public API is what this module exports; everything else is internal.

``import govstats`` is cheap: each public name is imported from its submodule the first
time it is used (PEP 562), so the command line starts without numpy, pandas or scipy.
``from govstats import fit`` and ``govstats.fit`` work as if the imports were eager.
"""

from importlib import import_module as _import_module
from typing import TYPE_CHECKING as _TYPE_CHECKING

__version__ = "0.1.0"

# Each public name and the module it is imported from on first use.
_LAZY = {
    "power": "govstats.planning",
    "rmsea_power": "govstats.planning",
    "parameter_power": "govstats.planning",
    "CheckReport": "govstats.data",
    "check_responses": "govstats.data",
    "read_responses": "govstats.data",
    "analysis_frame": "govstats.data",
    "score": "govstats.data",
    "SimulatedData": "govstats.data",
    "Truth": "govstats.data",
    "simulate": "govstats.data",
    "simulate_to_csv": "govstats.data",
    "wenjuanxing_export": "govstats.data",
    "write_wenjuanxing_export": "govstats.data",
    "GovstatsError": "govstats.errors",
    "GovstatsWarning": "govstats.errors",
    "InstrumentError": "govstats.errors",
    "Problem": "govstats.errors",
    "ResponsesError": "govstats.errors",
    "export_responses": "govstats.forms",
    "table_schema": "govstats.forms",
    "write_form": "govstats.forms",
    "write_schema": "govstats.forms",
    "xlsform": "govstats.forms",
    "wenjuanxing_text": "govstats.forms",
    "Instrument": "govstats.instrument",
    "load_instrument": "govstats.instrument",
    "efa": "govstats.measurement",
    "harman": "govstats.measurement",
    "reliability": "govstats.measurement",
    "validity": "govstats.measurement",
    "multilevel": "govstats.measurement",
    "multilevel_regression": "govstats.measurement",
    "fit": "govstats.sem.fit",
    "SEMResults": "govstats.sem.results",
    "monte_carlo_ci": "govstats.sem.monte_carlo",
    "compare": "govstats.sem.compare",
    "invariance": "govstats.sem.invariance",
    "score_tests": "govstats.sem.score_tests",
    "alignment": "govstats.sem.alignment",
    "alignment_from_estimates": "govstats.sem.alignment",
    "AlignmentResults": "govstats.sem.alignment",
    "validate": "govstats.validation",
    "simulate_pilot": "govstats.data.pilot",
    "diff_instruments": "govstats.instrument.diff",
    "path_diagram": "govstats.reporting",
    "report": "govstats.reporting",
    "analyze": "govstats.recipes",
    "load_recipe": "govstats.recipes",
    "verify_results": "govstats.recipes",
    "recipe_script": "govstats.recipes",
    "RecipeError": "govstats.errors",
}

__all__ = [
    "CheckReport",
    "ResponsesError",
    "check_responses",
    "read_responses",
    "analysis_frame",
    "score",
    "GovstatsError",
    "GovstatsWarning",
    "Instrument",
    "InstrumentError",
    "Problem",
    "SEMResults",
    "SimulatedData",
    "Truth",
    "fit",
    "monte_carlo_ci",
    "compare",
    "invariance",
    "score_tests",
    "alignment",
    "alignment_from_estimates",
    "AlignmentResults",
    "path_diagram",
    "report",
    "efa",
    "harman",
    "reliability",
    "validity",
    "multilevel",
    "multilevel_regression",
    "load_instrument",
    "simulate",
    "simulate_to_csv",
    "export_responses",
    "table_schema",
    "write_form",
    "write_schema",
    "xlsform",
    "power",
    "rmsea_power",
    "parameter_power",
    "wenjuanxing_text",
    "wenjuanxing_export",
    "write_wenjuanxing_export",
    "validate",
    "simulate_pilot",
    "diff_instruments",
    "analyze",
    "load_recipe",
    "verify_results",
    "recipe_script",
    "RecipeError",
    "__version__",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'govstats' has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value  # later look-ups are ordinary attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if _TYPE_CHECKING:  # type checkers and IDEs see the eager imports
    from govstats.data import CheckReport, SimulatedData, Truth, analysis_frame, check_responses, read_responses, score
    from govstats.data import simulate, simulate_to_csv
    from govstats.errors import GovstatsError, GovstatsWarning, InstrumentError, Problem, ResponsesError
    from govstats.forms import export_responses, table_schema, write_form, write_schema, xlsform
    from govstats.instrument import Instrument, load_instrument
    from govstats.measurement import efa, harman, multilevel, multilevel_regression, reliability, validity
    from govstats.sem.fit import fit
    from govstats.reporting import path_diagram, report
    from govstats.sem.monte_carlo import monte_carlo_ci
    from govstats.sem.compare import compare
    from govstats.sem.invariance import invariance
    from govstats.sem.score_tests import score_tests
    from govstats.sem.alignment import AlignmentResults, alignment, alignment_from_estimates
    from govstats.sem.results import SEMResults
    from govstats.data.pilot import simulate_pilot
    from govstats.instrument.diff import diff_instruments
    from govstats.validation import validate
