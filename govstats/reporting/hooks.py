"""Results of other analyses a report shows when it is given them: invariance, multilevel, power.

The report does not import their code: it takes whatever it is handed and reads a table from
it, so a report works whether or not those modules exist, and each one is wired by passing its
result (``report(..., invariance=invariance(inst, data, group="district"))``) or, from the
command line, by :func:`analysis_function` finding the public function by name.
"""

from __future__ import annotations

import importlib

import pandas as pd

# The public function behind each optional table, as DESIGN.md names it (top level of govstats).
FUNCTIONS = {"invariance": "invariance", "multilevel": "multilevel", "power": "power"}


def as_frame(result, name: str) -> pd.DataFrame:
    """A DataFrame from an analysis result: the frame itself, or the first of ``.table()``,
    ``.table``, ``.to_frame()``, ``.summary`` that is a DataFrame.

    Raises ValueError naming the parameter when none is."""
    if isinstance(result, pd.DataFrame):
        return result
    for attr in ("table", "to_frame", "summary"):
        value = getattr(result, attr, None)
        if callable(value):
            try:
                value = value()
            except TypeError:  # a method that needs arguments: not a table accessor
                continue
        if isinstance(value, pd.DataFrame):
            return value
    raise ValueError(f"The '{name}' parameter of report must be a DataFrame or a result with a .table() (or "
                     f".to_frame()) method returning one. Got {type(result).__name__} instead.")


def analysis_function(name: str):
    """The public govstats function ``name`` (``invariance``, ``multilevel``), or None when this
    installation does not have it."""
    package = importlib.import_module("govstats")
    try:
        return getattr(package, FUNCTIONS[name])
    except (AttributeError, ImportError):
        return None
