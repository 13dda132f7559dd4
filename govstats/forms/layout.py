"""The order and grouping of a form: consent, questions, one grid per construct.

Shared by the XLSForm and the printable questionnaire, so that tablet and paper ask the
same things in the same order (the order of :meth:`Instrument.columns`).
"""

from __future__ import annotations

from dataclasses import dataclass

from govstats.forms.variables import Variable, variables
from govstats.instrument import Instrument
from govstats.instrument.model import Construct


@dataclass(frozen=True)
class Section:
    """A run of the form shown together.

    ``kind`` is ``consent``, ``question`` (one question) or ``grid`` (items of one construct
    that share a scale, with an attention check placed after the construct when it shares
    that scale too). A construct whose items use different scales gives one grid per run
    of items on the same scale.
    """

    kind: str
    variables: tuple[Variable, ...]
    construct: Construct | None = None
    part: int = 0  # 1-based number of the grid among the construct's grids

    @property
    def name(self) -> str:
        """A name for the group, unique in the form and distinct from every column name."""
        if self.kind != "grid":
            return self.variables[0].name
        suffix = f"_{self.part}" if self.part > 1 else ""
        return f"grid_{self.construct.id}{suffix}"


def sections(instrument: Instrument) -> list[Section]:
    """The form's sections in order; every column except the metadata appears once.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> secs = sections(inst)
    >>> secs[0].kind, secs[0].name
    ('consent', 'consent')
    >>> ci = next(s for s in secs if s.construct is not None and s.construct.id == "CI")
    >>> [v.name for v in ci.variables]
    ['CI1', 'CI2', 'CI3', 'CI4', 'AC1']
    """
    by_name = {v.name: v for v in variables(instrument)}
    out = [Section("consent", (by_name[instrument.consent.id],))]
    out += [Section("question", (by_name[q.id],)) for q in instrument.questions if q.placement == "start"]
    for c in instrument.constructs:
        runs: list[list[Variable]] = []
        members = [by_name[i] for i in c.item_ids]
        members += [by_name[a.id] for a in instrument.attention_checks if a.after == c.id]
        for v in members:
            if runs and runs[-1][-1].scale == v.scale:
                runs[-1].append(v)
            else:
                runs.append([v])
        for k, run in enumerate(runs, start=1):
            out.append(Section("grid", tuple(run), c, k if len(runs) > 1 else 0))
    out += [Section("question", (by_name[q.id],)) for q in instrument.questions if q.placement == "end"]
    return out
