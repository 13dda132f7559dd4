"""The in-memory instrument: immutable dataclasses built once by :func:`load_instrument`.

Nothing downstream re-reads YAML; forms, schemas, model syntax and simulation all read
these objects. Population values are stored resolved (defaults filled in), so that a
consumer never has to know the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

ROLES = ("factor", "mechanism", "outcome", "other")
ORDERED_SCALE_TYPES = ("likert", "frequency", "ordinal")
SCALE_TYPES = ORDERED_SCALE_TYPES + ("nominal",)
QUESTION_TYPES = ("single_choice", "multiple_choice", "integer", "decimal", "text", "date")
CHOICE_TYPES = ("single_choice", "multiple_choice")
NUMERIC_TYPES = ("integer", "decimal")
PLACEMENTS = ("start", "end")
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Text:
    """Bilingual text; Chinese is the default language."""

    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        if lang not in LANGUAGES:
            raise ValueError(
                f"The 'lang' parameter must be one of {set(LANGUAGES)}. Got {lang!r} instead."
            )
        return getattr(self, lang)

    def __str__(self) -> str:
        return self.zh


@dataclass(frozen=True)
class Choice:
    """One point of a scale or one choice of a question: an integer code and its label."""

    code: int
    label: Text


@dataclass(frozen=True)
class Scale:
    """A response scale shared by items and questions.

    ``thresholds`` and ``proportions`` are the population values used for simulation,
    both always present (one derived from the other, or the defaults).
    """

    id: str
    type: str
    label: Text | None
    points: tuple[Choice, ...]
    missing: tuple[Choice, ...] = ()
    thresholds: tuple[float, ...] = ()
    proportions: tuple[float, ...] = ()

    @property
    def ordered(self) -> bool:
        return self.type in ORDERED_SCALE_TYPES

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(p.code for p in self.points)

    def label_of(self, code: int, lang: str = "zh") -> str:
        for point in self.points + self.missing:
            if point.code == code:
                return point.label.get(lang)
        raise KeyError(f"code {code} is not on scale {self.id!r} (codes: {list(self.codes)})")


@dataclass(frozen=True)
class Item:
    """A Likert item measuring one construct."""

    id: str
    construct: str
    text: Text
    scale: Scale
    reverse: bool = False
    loading: float = 0.70
    thresholds: tuple[float, ...] = ()
    proportions: tuple[float, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Construct:
    """A latent variable and the items that measure it."""

    id: str
    name: Text
    role: str
    definition: Text
    provenance: Text
    items: tuple[Item, ...]
    icc: float = 0.10

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)


@dataclass(frozen=True)
class AskIf:
    """Ask a question only of respondents whose answer to ``question`` is one of ``codes``."""

    question: str
    codes: tuple[int, ...]


@dataclass(frozen=True)
class Question:
    """A question that is not a construct item (role, demographics, tenure, ...)."""

    id: str
    type: str
    text: Text
    choices: tuple[Choice, ...] = ()
    scale: str | None = None
    min: float | None = None
    max: float | None = None
    required: bool = True
    ask_if: AskIf | None = None
    placement: str = "start"
    population: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    block: str | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(c.code for c in self.choices)


@dataclass(frozen=True)
class AttentionCheck:
    """An instructed-response item and its correct answer."""

    id: str
    text: Text
    scale: Scale
    correct: int
    after: str


@dataclass(frozen=True)
class Path:
    """A structural regression ``outcome ~ predictor`` with its population standardized coefficient."""

    outcome: str
    predictor: str
    coefficient: float


@dataclass(frozen=True)
class StructuralModel:
    """Which constructs predict which, and the population correlations of the exogenous ones."""

    paths: tuple[Path, ...] = ()
    correlations: Mapping[frozenset, float] = field(
        default_factory=lambda: MappingProxyType({})
    )
    default_correlation: float = 0.30

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Endogenous constructs, in the order they first appear."""
        return tuple(dict.fromkeys(p.outcome for p in self.paths))

    def predictors_of(self, outcome: str) -> tuple[Path, ...]:
        return tuple(p for p in self.paths if p.outcome == outcome)

    def correlation(self, a: str, b: str) -> float:
        if a == b:
            return 1.0
        return self.correlations.get(frozenset((a, b)), self.default_correlation)


@dataclass(frozen=True)
class Provenance:
    """The research an instrument operationalizes."""

    citation: str
    source: str | None = None
    note: Text | None = None


@dataclass(frozen=True)
class Metadata:
    """Column names of the fields the survey software fills in."""

    respondent_id: str = "respondent_id"
    start: str = "start_time"
    end: str = "end_time"


@dataclass(frozen=True)
class Consent:
    id: str
    text: Text
