"""The :class:`Instrument`: one validated questionnaire, immutable once loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from govstats.instrument.model import (
    AttentionCheck,
    Consent,
    Construct,
    Item,
    Metadata,
    Provenance,
    Question,
    Scale,
    StructuralModel,
    Text,
)


@dataclass(frozen=True)
class Instrument:
    """A questionnaire definition: wording, scales, constructs, structural model, population.

    Build one with :func:`govstats.load_instrument`; the constructor only stores what the
    loader has already checked.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> inst.construct("CD").role
    'mechanism'
    >>> print(inst.model_syntax().splitlines()[-1])
    RIE ~ CD + CI + PE + SE
    """

    id: str
    version: str
    title: Text
    description: Text
    provenance: Provenance
    consent: Consent
    metadata: Metadata
    scales: Mapping[str, Scale]
    constructs: tuple[Construct, ...]
    questions: tuple[Question, ...] = ()
    attention_checks: tuple[AttentionCheck, ...] = ()
    model: StructuralModel = field(default_factory=StructuralModel)
    design: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: str | None = None
    includes: tuple[str, ...] = ()
    validation: tuple = ()  # ValidationRecord objects, oldest first (govstats.instrument.validation_section)

    # -- look-ups -------------------------------------------------------------------------
    def construct(self, construct_id: str) -> Construct:
        """The construct with this id (``KeyError`` naming the known ids otherwise)."""
        for c in self.constructs:
            if c.id == construct_id:
                return c
        known = [c.id for c in self.constructs]
        raise KeyError(f"no construct {construct_id!r} in instrument {self.id!r}; known: {known}")

    @property
    def items(self) -> tuple[Item, ...]:
        """Every construct item, in definition order."""
        return tuple(i for c in self.constructs for i in c.items)

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(f"no item {item_id!r} in instrument {self.id!r}")

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        known = [q.id for q in self.questions]
        raise KeyError(f"no question {question_id!r} in instrument {self.id!r}; known: {known}")

    @property
    def modeled_constructs(self) -> tuple[Construct, ...]:
        """Constructs that enter the model: every construct in a path or with a role other than 'other'."""
        in_paths = {p.outcome for p in self.model.paths} | {p.predictor for p in self.model.paths}
        return tuple(c for c in self.constructs if c.role != "other" or c.id in in_paths)

    def columns(self) -> list[str]:
        """Column names of a response file, in the order the form asks them.

        Respondent id, start and end time, consent, the questions placed at the start,
        each construct's items (an attention check right after the construct it follows),
        then the questions placed at the end.
        """
        cols = [self.metadata.respondent_id, self.metadata.start, self.metadata.end, self.consent.id]
        cols += [q.id for q in self.questions if q.placement == "start"]
        for c in self.constructs:
            cols += list(c.item_ids)
            cols += [a.id for a in self.attention_checks if a.after == c.id]
        cols += [q.id for q in self.questions if q.placement == "end"]
        return cols

    # -- model ----------------------------------------------------------------------------
    def model_syntax(self, std_lv: bool = False) -> str:
        """The lavaan-style model: measurement part, then structural part.

        Parameters
        ----------
        std_lv : bool, default False
            Write the measurement part for a model fitted with factor variances fixed to 1.
            The syntax is the same either way (the choice belongs to the fit); with
            ``std_lv=False`` the marker item, whose loading lavaan fixes to 1, is the
            construct's first item that is not reverse-coded, so that the factor keeps the
            construct's direction.
        """
        from govstats.instrument.syntax import model_syntax

        return model_syntax(self, std_lv=std_lv)

    def latent_correlations(self) -> pd.DataFrame:
        """Population correlation matrix of all modeled constructs implied by the model."""
        from govstats.instrument.population import implied_latent_correlations

        return implied_latent_correlations(self)

    def summary(self, lang: str = "en") -> str:
        """A readable account of the instrument: constructs, items, questions and model."""
        from govstats.instrument.describe import describe

        return describe(self, lang=lang)

    def __repr__(self) -> str:
        return (
            f"Instrument(id={self.id!r}, version={self.version!r}, "
            f"constructs={len(self.constructs)}, items={len(self.items)}, "
            f"paths={len(self.model.paths)})"
        )
