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
    "CheckReport": "govstats.data",
    "check_responses": "govstats.data",
    "read_responses": "govstats.data",
    "analysis_frame": "govstats.data",
    "score": "govstats.data",
    "SimulatedData": "govstats.data",
    "Truth": "govstats.data",
    "simulate": "govstats.data",
    "simulate_to_csv": "govstats.data",
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
    "Instrument": "govstats.instrument",
    "load_instrument": "govstats.instrument",
    "efa": "govstats.measurement",
    "harman": "govstats.measurement",
    "reliability": "govstats.measurement",
    "validity": "govstats.measurement",
    "fit": "govstats.sem.fit",
    "SEMResults": "govstats.sem.results",
    "monte_carlo_ci": "govstats.sem.monte_carlo",
    "path_diagram": "govstats.reporting",
    "report": "govstats.reporting",
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
    "path_diagram",
    "report",
    "efa",
    "harman",
    "reliability",
    "validity",
    "load_instrument",
    "simulate",
    "simulate_to_csv",
    "export_responses",
    "table_schema",
    "write_form",
    "write_schema",
    "xlsform",
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
    from govstats.measurement import efa, harman, reliability, validity
    from govstats.sem.fit import fit
    from govstats.reporting import path_diagram, report
    from govstats.sem.monte_carlo import monte_carlo_ci
    from govstats.sem.results import SEMResults
