"""Instrument definitions: the model, loading from YAML, and the checks."""

from govstats.instrument.instrument import Instrument
from govstats.instrument.load import load_instrument

__all__ = ["Instrument", "load_instrument"]
