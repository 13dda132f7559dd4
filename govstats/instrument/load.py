"""``load_instrument``: parse, check, and build the immutable :class:`Instrument`."""

from __future__ import annotations

from dataclasses import replace
from os import PathLike
from types import MappingProxyType

from govstats.errors import InstrumentError
from govstats.instrument.checks import run_checks
from govstats.instrument.instrument import Instrument
from govstats.instrument.model import StructuralModel
from govstats.instrument.parse import Draft, parse_instrument
from govstats.instrument.population import resolve_distribution


def load_instrument(path: str | PathLike) -> Instrument:
    """Load and check an instrument definition (YAML).

    Parameters
    ----------
    path : str or path-like
        The instrument file. Blocks it includes are read relative to it.

    Returns
    -------
    Instrument
        Immutable, with every population value resolved (defaults filled in).

    Raises
    ------
    InstrumentError
        With every problem of the file and its blocks, each with a code, the file, the
        place, what is wrong and how to fix it.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("party_building"))
    >>> [c.id for c in inst.constructs if c.role == "outcome"]
    ['GE', 'BE']
    """
    draft = parse_instrument(path)
    # The cross-part rules run even when parsing found problems: they report independent
    # mistakes, and a file's problems are all reported in one run.
    run_checks(draft)
    if draft.problems or not _complete(draft):
        raise InstrumentError(_sorted(draft))
    return _build(draft)


def _complete(draft: Draft) -> bool:
    h = draft.header
    return all(h.get(k) is not None for k in ("id", "version", "title", "description", "provenance", "consent"))


def _sorted(draft: Draft):
    """Problems in file order: the instrument file first, then blocks, each by line."""
    files = [draft.path] + draft.includes
    rank = {f: i for i, f in enumerate(files)}
    unique = list(dict.fromkeys(draft.problems))
    return sorted(unique, key=lambda p: (rank.get(p.file, len(files)), p.line or 0))


def _build(draft: Draft) -> Instrument:
    scales = {}
    for sid, scale in draft.scales.items():
        t, p = resolve_distribution(draft.where[("scale", sid)].raw, len(scale.points), scale.ordered)
        scales[sid] = replace(scale, thresholds=t, proportions=p)
    constructs = []
    for c in draft.constructs:
        items = []
        for item in c.items:
            scale = scales[item.scale.id]
            raw = draft.where[("item", item.id)].raw
            if raw is None:
                t, p = scale.thresholds, scale.proportions
            else:
                t, p = resolve_distribution(raw, len(scale.points), scale.ordered)
            items.append(replace(item, scale=scale, thresholds=t, proportions=p))
        constructs.append(replace(c, items=tuple(items)))
    attention = tuple(replace(a, scale=scales[a.scale.id]) for a in draft.attention_checks)
    model = StructuralModel(tuple(draft.paths), MappingProxyType(dict(draft.correlations)),
                            draft.default_correlation)
    h = draft.header
    return Instrument(
        id=h["id"], version=h["version"], title=h["title"], description=h["description"],
        provenance=h["provenance"], consent=h["consent"], metadata=h["metadata"],
        scales=MappingProxyType(scales), constructs=tuple(constructs),
        questions=tuple(replace(q, population=MappingProxyType(dict(q.population))) for q in draft.questions),
        attention_checks=attention, model=model, design=MappingProxyType(dict(draft.design)),
        source=draft.path, includes=tuple(draft.includes), validation=tuple(draft.validation),
    )
