"""govstats: survey instruments, response checks and SEM for community-governance research.

The public API is what this module exports; everything else is internal.
"""

from govstats.data import SimulatedData, Truth, simulate, simulate_to_csv
from govstats.data import CheckReport, check_responses, read_responses, score
from govstats.errors import GovstatsError, GovstatsWarning, InstrumentError, Problem
from govstats.errors import ResponsesError
from govstats.forms import export_responses, table_schema, write_form, write_schema, xlsform
from govstats.instrument import Instrument, load_instrument
from govstats.measurement import efa, harman, reliability, validity
from govstats.sem.fit import fit
from govstats.sem.results import SEMResults

__version__ = "0.1.0"

__all__ = [
    "CheckReport",
    "ResponsesError",
    "check_responses",
    "read_responses",
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
