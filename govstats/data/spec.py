"""What each column of a response file must hold, derived once from the instrument.

Reading, checking and scoring all ask the same questions of a column (which codes are
valid, which label text means which code, is it required, when is it asked); this module
answers them from the :class:`~govstats.instrument.Instrument` so the three agree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Kinds of column, by what the cells hold.
ID, TIME, CONSENT, ITEM, ATTENTION = "id", "time", "consent", "item", "attention"
CHOICE_KINDS = (CONSENT, ITEM, ATTENTION, "single_choice", "multiple_choice")
CODED_KINDS = (CONSENT, ITEM, ATTENTION, "single_choice")  # one integer code per cell

# The consent question is "Do you agree to take part?" with 1 yes and 0 no (instruments/README.md).
CONSENT_YES, CONSENT_NO = 1, 0
CONSENT_LABELS = {CONSENT_YES: ("是", "同意", "Yes", "Agree"), CONSENT_NO: ("否", "不同意", "No", "Disagree")}


def normalize_label(text: str) -> str:
    """The form in which label text is compared: NFKC (full-width to half-width), trimmed,
    inner whitespace collapsed, case folded.

    >>> normalize_label("  Strongly　Agree ")
    'strongly agree'
    """
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


@dataclass(frozen=True)
class ColumnSpec:
    """One expected column.

    ``codes`` are the substantive answers, ``missing_codes`` the scale's "no answer" codes
    (e.g. 9 "don't know"), ``labels`` maps normalized zh and en label text to codes.
    """

    name: str
    kind: str
    required: bool = True
    codes: tuple[int, ...] = ()
    missing_codes: tuple[int, ...] = ()
    labels: dict = field(default_factory=dict)
    scale: str = ""
    min: float | None = None
    max: float | None = None
    ask_if: object = None            # AskIf or None
    construct: str = ""
    reverse: bool = False
    ordered: bool = False

    @property
    def valid_codes(self) -> tuple[int, ...]:
        return self.codes + self.missing_codes

    def describe_codes(self) -> str:
        """E.g. ``scale agree5 (codes 1-5; missing 9)``."""
        codes = list(self.codes)
        if codes and codes == list(range(codes[0], codes[-1] + 1)) and len(codes) > 2:
            text = f"codes {codes[0]}-{codes[-1]}"
        else:
            text = "codes " + ", ".join(map(str, codes))
        if self.missing_codes:
            text += "; missing " + ", ".join(map(str, self.missing_codes))
        return f"{self.scale} ({text})" if self.scale else text


def _labels(points) -> dict:
    out = {}
    for p in points:
        for text in (p.label.zh, p.label.en):
            out.setdefault(normalize_label(text), p.code)
    return out


def column_specs(instrument) -> dict[str, ColumnSpec]:
    """Every column of the instrument's response file, in form order, with what it must hold."""
    meta = instrument.metadata
    specs: dict[str, ColumnSpec] = {
        meta.respondent_id: ColumnSpec(meta.respondent_id, ID),
        meta.start: ColumnSpec(meta.start, TIME, required=False),
        meta.end: ColumnSpec(meta.end, TIME, required=False),
    }
    consent_labels = {normalize_label(t): code for code, texts in CONSENT_LABELS.items() for t in texts}
    specs[instrument.consent.id] = ColumnSpec(instrument.consent.id, CONSENT, codes=(CONSENT_NO, CONSENT_YES),
                                              labels=consent_labels, scale="consent")
    questions = {q.id: q for q in instrument.questions}
    items = {i.id: i for i in instrument.items}
    checks = {a.id: a for a in instrument.attention_checks}
    for name in instrument.columns()[4:]:
        if name in items:
            i = items[name]
            specs[name] = ColumnSpec(name, ITEM, required=i.required, codes=i.scale.codes,
                                     missing_codes=tuple(p.code for p in i.scale.missing),
                                     labels=_labels(i.scale.points + i.scale.missing), scale=i.scale.id,
                                     construct=i.construct, reverse=i.reverse, ordered=i.scale.ordered)
        elif name in checks:
            a = checks[name]
            specs[name] = ColumnSpec(name, ATTENTION, codes=a.scale.codes,
                                     missing_codes=tuple(p.code for p in a.scale.missing),
                                     labels=_labels(a.scale.points + a.scale.missing), scale=a.scale.id)
        else:
            q = questions[name]
            scale = q.scale or ("choices" if q.choices else "")
            specs[name] = ColumnSpec(name, q.type, required=q.required, codes=q.codes,
                                     labels=_labels(q.choices), scale=scale, min=q.min, max=q.max,
                                     ask_if=q.ask_if)
    return specs


# Columns that survey software adds to every export (KoboToolbox, ODK Central): kept in the
# data, listed in the report, but not "unexpected".
SOFTWARE_PREFIXES = ("_", "meta/", "meta-", "formhub/", "formhub-")


def is_software_column(name: str) -> bool:
    """``_uuid``, ``_submission_time``, ``meta/instanceID``, ``__version__`` and the like."""
    return str(name).startswith(SOFTWARE_PREFIXES)
