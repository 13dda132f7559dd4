"""The ``validation:`` section of an instrument: the evidence behind each version.

One entry per validation run (``govstats validate ... --record`` appends one), oldest first::

    validation:
      - version: "1.0.0"          # the version whose items the samples answered
        date: "2026-12-02"
        pilot:                    # the pilot sample and its item analysis
          n: 300
          where: Two communities in Wuhan      # optional text
          when: 2026-11                        # optional text
          alpha: {VS: 0.61, IS: 0.71}          # Cronbach's alpha per construct
          kmo: 0.87                            # optional
          factors: 7                           # factors suggested by parallel analysis (optional)
        main:                     # optional: the main sample's CFA
          n: 600
          alpha: {VS: 0.81}
          cr: {VS: 0.82}                       # composite reliability
          ave: {VS: 0.53}
          fit: {chisq: 412.3, df: 384, cfi: 0.99, tli: 0.99, rmsea: 0.011, srmr: 0.03}
        items: [VS1, VS2, VS3]    # the items the samples answered
        suggested:                # the analysis' suggestions (never applied automatically)
          - {item: VS4, action: drop, reason: "..."}
        dropped:                  # items of the previous recorded version that this one no longer has
          - {item: IS5, reason: "..."}

Parsed into immutable :class:`ValidationRecord` objects (``Instrument.validation``) and
checked like the rest of the file: every problem with its code, line and place.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from govstats.instrument.reader import Reader
from govstats.instrument.yaml_source import Loc

ACTIONS = ("keep", "review wording", "drop")
FIT_NAMES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "chisq_scaled", "cfi_robust", "tli_robust",
             "rmsea_robust")
RECORD_REQUIRED = ("version", "pilot", "items")
RECORD_OPTIONAL = ("date", "main", "suggested", "dropped")
SAMPLE_REQUIRED = ("n",)
SAMPLE_OPTIONAL = ("where", "when", "alpha", "cr", "ave", "kmo", "factors", "fit")


@dataclass(frozen=True)
class SampleEvidence:
    """One sample of a validation run and its summary figures."""

    n: int
    where: str | None = None
    when: str | None = None
    alpha: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    cr: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    ave: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    kmo: float | None = None
    factors: int | None = None
    fit: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ItemNote:
    """An item named in a record, with the action (suggestions) and the reason."""

    item: str
    reason: str
    action: str | None = None


@dataclass(frozen=True)
class ValidationRecord:
    """The evidence of one validation run of one version."""

    version: str
    pilot: SampleEvidence
    items: tuple[str, ...]
    date: str | None = None
    main: SampleEvidence | None = None
    suggested: tuple[ItemNote, ...] = ()
    dropped: tuple[ItemNote, ...] = ()


def _text(r: Reader, value: object, loc: Loc, what: str) -> str | None:
    """Text; an unquoted YAML date (``2026-11-05``) is read as the date it writes."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return r.string(value, loc, what)


def _figures(r: Reader, value: object, loc: Loc, what: str, lo: float | None, hi: float | None) -> dict:
    m = r.mapping(value, loc, what)
    out = {}
    for key, v in (m or {}).items():
        if not isinstance(key, str) or not key:
            r.add("wrong-type", loc, f"{what} must map construct ids to numbers, found the key {key!r}.",
                  "Write 'ID: number' entries.")
            continue
        x = r.number(v, loc + (key,), f"{what} of {key}")
        if x is None:
            continue
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            r.add("invalid-value", loc + (key,), f"{what} of {key} must lie in [{lo:g}, {hi:g}], found {x:g}.",
                  "Copy the figure from the validation report.")
            continue
        out[key] = x
    return out


def _sample(r: Reader, value: object, loc: Loc, what: str) -> SampleEvidence | None:
    m = r.mapping(value, loc, what)
    if m is None:
        return None
    r.fields(m, loc, what, SAMPLE_REQUIRED, SAMPLE_OPTIONAL)
    n = r.integer(m["n"], loc + ("n",), f"{what}'s n") if "n" in m else None
    if n is not None and n < 1:
        r.add("invalid-value", loc + ("n",), f"{what}'s n must be a positive whole number, found {n}.",
              "Give the number of respondents analysed.")
        n = None
    text = {k: _text(r, m[k], loc + (k,), f"{what}'s {k}") for k in ("where", "when") if k in m}
    kmo = r.number(m["kmo"], loc + ("kmo",), "KMO") if "kmo" in m else None
    factors = r.integer(m["factors"], loc + ("factors",), "The number of factors") if "factors" in m else None
    fit = _figures(r, m["fit"], loc + ("fit",), "A fit index", None, None) if "fit" in m else {}
    for key in fit:
        if key not in FIT_NAMES:
            r.add("unknown-field", loc + ("fit", key), f"The fit indices have an unknown key '{key}'.",
                  f"Allowed keys: {', '.join(FIT_NAMES)}.")
    figures = {k: _figures(r, m[k], loc + (k,), name, lo, hi) if k in m else {}
               for k, name, lo, hi in (("alpha", "Alpha", -1e6, 1.0), ("cr", "Composite reliability", 0.0, 1.0),
                                       ("ave", "AVE", 0.0, 1.0))}
    if n is None:
        return None
    return SampleEvidence(n=n, where=text.get("where"), when=text.get("when"), kmo=kmo, factors=factors,
                          fit=MappingProxyType({k: v for k, v in fit.items() if k in FIT_NAMES}),
                          **{k: MappingProxyType(v) for k, v in figures.items()})


def _notes(r: Reader, value: object, loc: Loc, what: str, with_action: bool) -> tuple[ItemNote, ...]:
    seq = r.sequence(value, loc, what)
    out = []
    for i, entry in enumerate(seq or []):
        eloc = loc + (i,)
        m = r.mapping(entry, eloc, f"{what} entry")
        if m is None:
            continue
        r.fields(m, eloc, f"{what} entry", ("item", "reason") + (("action",) if with_action else ()), ())
        item = r.ident(m["item"], eloc + ("item",), "The item") if "item" in m else None
        reason = r.string(m["reason"], eloc + ("reason",), "The reason") if "reason" in m else None
        action = r.one_of(m["action"], eloc + ("action",), "The action", ACTIONS) \
            if with_action and "action" in m else None
        if item and reason and (action or not with_action):
            out.append(ItemNote(item, reason, action))
    return tuple(out)


def parse_validation(r: Reader, value: object, loc: Loc, item_ids: set[str], version: str | None
                     ) -> tuple[ValidationRecord, ...]:
    """The records of a ``validation:`` list; problems recorded in ``r``.

    ``item_ids`` are the instrument's items and ``version`` its version: a record of the
    current version must not list as dropped an item the instrument still has.
    """
    seq = r.sequence(value, loc, "validation")
    records, seen = [], {}
    for i, entry in enumerate(seq or []):
        eloc = loc + (i,)
        m = r.mapping(entry, eloc, "A validation record")
        if m is None:
            continue
        r.fields(m, eloc, "A validation record", RECORD_REQUIRED, RECORD_OPTIONAL)
        v = r.string(m["version"], eloc + ("version",), "The record's version") if "version" in m else None
        date = _text(r, m["date"], eloc + ("date",), "The record's date") if "date" in m else None
        pilot = _sample(r, m["pilot"], eloc + ("pilot",), "The pilot sample") if "pilot" in m else None
        main = _sample(r, m["main"], eloc + ("main",), "The main sample") if "main" in m else None
        items = ()
        if "items" in m:
            seq_items = r.sequence(m["items"], eloc + ("items",), "The record's items") or []
            items = tuple(x for k, x in enumerate(seq_items)
                          if r.ident(x, eloc + ("items", k), "An item of the record"))
        suggested = _notes(r, m["suggested"], eloc + ("suggested",), "suggested", True) if "suggested" in m else ()
        dropped = _notes(r, m["dropped"], eloc + ("dropped",), "dropped", False) if "dropped" in m else ()
        for k, note in enumerate(suggested):
            if items and note.item not in items:
                r.add("unknown-reference", eloc + ("suggested", k, "item"),
                      f"The suggestion names '{note.item}', which is not among the record's items.",
                      "Suggestions concern the items the samples answered.")
        if v is not None and v == version:
            for k, note in enumerate(dropped):
                if note.item in item_ids:
                    r.add("invalid-value", eloc + ("dropped", k, "item"),
                          f"'{note.item}' is listed as dropped, but version {version} still has it.",
                          "Remove the item from the constructs, or from this record's 'dropped'.")
        key = (v, date)
        if v is not None and key in seen:
            r.add("duplicate-id", eloc + ("version",), f"Version {v} has two records of the same date "
                  f"(also entry {seen[key]}).", "Keep one record per validation run.")
        seen[key] = i
        if v is not None and pilot is not None:
            records.append(ValidationRecord(version=v, pilot=pilot, items=items, date=date, main=main,
                                            suggested=suggested, dropped=dropped))
    return tuple(records)


def _figure_line(label: str, figures: Mapping[str, float]) -> str:
    return f"{label} " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items())


def validation_lines(instrument) -> list[str]:
    """The ``validation:`` history as text lines for ``govstats instrument show``."""
    if not instrument.validation:
        return ["Validation: none recorded (a draft: no pilot or main-study evidence in the file)."]
    out = [f"Validation ({len(instrument.validation)} record(s), oldest first):"]
    for rec in instrument.validation:
        out.append(f"  version {rec.version}" + (f", {rec.date}" if rec.date else "") + f": {len(rec.items)} items")
        for name, s in (("pilot", rec.pilot), ("main", rec.main)):
            if s is None:
                continue
            where = ", ".join(x for x in (s.where, s.when) if x)
            out.append(f"    {name}: N = {s.n}" + (f" ({where})" if where else "")
                       + (f", KMO {s.kmo:.2f}" if s.kmo is not None else "")
                       + (f", {s.factors} factors by parallel analysis" if s.factors is not None else ""))
            for label, figures in (("alpha", s.alpha), ("CR", s.cr), ("AVE", s.ave)):
                if figures:
                    out.append("      " + _figure_line(label, figures))
            if s.fit:
                out.append("      fit " + ", ".join(f"{k} {v:g}" for k, v in s.fit.items()))
        for n in rec.suggested:
            out.append(f"    suggested {n.action} {n.item}: {n.reason}")
        for n in rec.dropped:
            out.append(f"    dropped {n.item}: {n.reason}")
    return out
