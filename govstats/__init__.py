"""govstats: survey instruments, response checks and SEM for community-governance research.

The public API is what this module exports; everything else is internal.
"""

from govstats.data import SimulatedData, Truth, simulate, simulate_to_csv
from govstats.errors import GovstatsError, GovstatsWarning, InstrumentError, Problem
from govstats.instrument import Instrument, load_instrument
from govstats.sem.fit import fit
from govstats.sem.results import SEMResults

__version__ = "0.1.0"

__all__ = [
    "GovstatsError",
    "GovstatsWarning",
    "Instrument",
    "InstrumentError",
    "Problem",
    "SEMResults",
    "SimulatedData",
    "Truth",
    "fit",
    "load_instrument",
    "simulate",
    "simulate_to_csv",
    "__version__",
]
