"""Which version of an instrument a set of responses was collected with, as far as columns tell.

A response file carries no version, but the ``validation:`` history of an instrument lists the
items each recorded version had. Responses holding items that the analysing version no longer
has were most likely collected with an earlier version: the analysis then uses only the current
items, and reworded items (same column, new wording) cannot be told apart at all, so the user
is warned rather than left to find out from odd numbers.
"""

from __future__ import annotations

import warnings

from govstats.errors import VersionMismatchWarning


def foreign_items(instrument, columns) -> dict[str, list[str]]:
    """Recorded version -> the columns among ``columns`` that it had and ``instrument`` does not."""
    current = {i.id for i in instrument.items}
    cols = {str(c) for c in columns}
    out: dict[str, list[str]] = {}
    for rec in instrument.validation:
        if rec.version == instrument.version:
            continue
        extra = [i for i in rec.items if i not in current and i in cols]
        if extra:
            out.setdefault(rec.version, [])
            out[rec.version] += [i for i in extra if i not in out[rec.version]]
    return out


def version_warnings(instrument, data, what: str = "The responses") -> dict[str, list[str]]:
    """Warn (:class:`VersionMismatchWarning`) when ``data`` holds items an earlier recorded version had;
    ``what`` names the responses in the message. Returns :func:`foreign_items`."""
    found = foreign_items(instrument, getattr(data, "columns", ()))
    for version, items in found.items():
        warnings.warn(
            f"{what} have columns {items} that version {version} of '{instrument.id}' had and "
            f"version {instrument.version} dropped: they were probably collected with version {version}. Only "
            f"version {instrument.version}'s items are analysed; items reworded since then keep their column, so "
            "check the wording the respondents saw.", VersionMismatchWarning, stacklevel=3)
    return found
