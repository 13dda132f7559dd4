"""The variables of a response file, described once for every form and schema writer.

Each writer (XLSForm, printable questionnaire, Table Schema, codebook, SPSS/Stata labels)
reads the same :class:`Variable` records, so that a column means the same thing in all of
them. The order is :meth:`Instrument.columns`, the order in which the form asks.
"""

from __future__ import annotations

from dataclasses import dataclass

from govstats.instrument import Instrument
from govstats.instrument.model import AskIf, Choice, Text

# Labels of the columns the survey software fills in, and of the consent answer.
METADATA_LABELS = {
    "respondent_id": Text("受访者编号", "Respondent id"),
    "start": Text("开始作答时间", "Interview start time"),
    "end": Text("结束作答时间", "Interview end time"),
}
CONSENT_CHOICES = (Choice(1, Text("同意", "Yes, I agree")), Choice(0, Text("不同意", "No, I do not agree")))

KINDS = ("metadata", "consent", "question", "item", "attention_check")


@dataclass(frozen=True)
class Variable:
    """One column of a response file.

    Attributes
    ----------
    name : str
        Column name (the instrument's id for it; also the XLSForm field name).
    kind : str
        One of ``metadata``, ``consent``, ``question``, ``item``, ``attention_check``.
    type : str
        ``single_choice``, ``multiple_choice``, ``integer``, ``decimal``, ``text``, ``date``
        or ``datetime`` (start and end time).
    label : Text
        The question as asked (for metadata, a short description).
    choices : tuple of Choice
        Substantive answer codes, in scale order.
    missing : tuple of Choice
        Codes that mean "no substantive answer" (a scale's ``missing`` codes).
    ordered : bool
        Whether the codes are ordered (Likert, frequency and ordinal scales).
    scale : str or None
        Id of the scale the codes come from, if any.
    scale_type : str or None
        That scale's type (``likert``, ``frequency``, ``ordinal``, ``nominal``).
    construct : str or None
        The construct an item measures (for an attention check: the construct it follows).
    reverse : bool
        Reverse-coded item (worded against its construct; scored reversed).
    required : bool
        The form insists on an answer whenever the question is asked.
    minimum, maximum : float or None
        Allowed range of a number.
    ask_if : AskIf or None
        Asked only of respondents whose answer to another question is one of some codes.
    correct : int or None
        The instructed answer of an attention check.
    """

    name: str
    kind: str
    type: str
    label: Text
    choices: tuple[Choice, ...] = ()
    missing: tuple[Choice, ...] = ()
    ordered: bool = False
    scale: str | None = None
    scale_type: str | None = None
    construct: str | None = None
    reverse: bool = False
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    ask_if: AskIf | None = None
    correct: int | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        """Every valid code: the substantive ones, then the missing ones."""
        return tuple(c.code for c in self.choices + self.missing)

    @property
    def is_choice(self) -> bool:
        return self.type in ("single_choice", "multiple_choice")


def variables(instrument: Instrument) -> list[Variable]:
    """Every column of the instrument's response file, in form order.

    Parameters
    ----------
    instrument : Instrument

    Returns
    -------
    list of Variable
        One per name of :meth:`Instrument.columns`, in that order.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> vs = variables(inst)
    >>> [v.name for v in vs] == inst.columns()
    True
    >>> ps4 = next(v for v in vs if v.name == "PS4")
    >>> ps4.kind, ps4.construct, ps4.reverse, ps4.codes
    ('item', 'PS', True, (1, 2, 3, 4, 5))
    """
    meta = instrument.metadata
    out = {
        meta.respondent_id: Variable(meta.respondent_id, "metadata", "text", METADATA_LABELS["respondent_id"]),
        meta.start: Variable(meta.start, "metadata", "datetime", METADATA_LABELS["start"], required=False),
        meta.end: Variable(meta.end, "metadata", "datetime", METADATA_LABELS["end"], required=False),
        instrument.consent.id: Variable(instrument.consent.id, "consent", "single_choice",
                                        instrument.consent.text, choices=CONSENT_CHOICES),
    }
    for q in instrument.questions:
        scale = instrument.scales.get(q.scale) if q.scale else None
        out[q.id] = Variable(
            q.id, "question", q.type, q.text, choices=q.choices,
            missing=scale.missing if scale else (), ordered=bool(scale and scale.ordered),
            scale=q.scale, scale_type=scale.type if scale else None, required=q.required,
            minimum=q.min, maximum=q.max, ask_if=q.ask_if,
        )
    for c in instrument.constructs:
        for item in c.items:
            out[item.id] = Variable(
                item.id, "item", "single_choice", item.text, choices=item.scale.points,
                missing=item.scale.missing, ordered=item.scale.ordered, scale=item.scale.id,
                scale_type=item.scale.type, construct=c.id, reverse=item.reverse, required=item.required,
            )
    for a in instrument.attention_checks:
        out[a.id] = Variable(
            a.id, "attention_check", "single_choice", a.text, choices=a.scale.points,
            missing=a.scale.missing, ordered=a.scale.ordered, scale=a.scale.id,
            scale_type=a.scale.type, construct=a.after,
            correct=a.correct,
        )
    return [out[name] for name in instrument.columns()]
