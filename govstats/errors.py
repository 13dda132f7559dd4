"""Exceptions and warnings raised by govstats.

Problems in an instrument definition are collected, not raised one at a time: a
:class:`InstrumentError` carries every :class:`Problem` found in a file, each with a
stable code (see ``instruments/README.md``), the file, the place in it, what is wrong
and how to fix it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class GovstatsError(Exception):
    """Base class of every error govstats raises on purpose."""


class GovstatsWarning(UserWarning):
    """Base class of every warning govstats issues."""


class ConvergenceWarning(GovstatsWarning):
    """The optimizer stopped before the estimates converged."""


class HeywoodWarning(GovstatsWarning):
    """A variance estimate is negative (a Heywood case)."""


class IdentificationWarning(GovstatsWarning):
    """The information matrix is singular: the model is probably not identified."""


class EmptyCategoryWarning(GovstatsWarning):
    """An ordinal item has a code nobody chose: its thresholds are estimated for the categories
    observed (as lavaan does with integer codes)."""


class NotPositiveDefiniteWarning(GovstatsWarning):
    """A covariance matrix that should be positive definite is not (e.g. cluster-robust with
    fewer clusters than parameters): standard errors of combinations may be unreliable."""


class CoverageWarning(GovstatsWarning):
    """With missing data (FIML), a pair of variables is never (or rarely) observed together, so
    their covariance rests on the model and the other variables alone."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an instrument file.

    Attributes
    ----------
    code : str
        Stable, documented code such as ``"missing-translation"``.
    file : str
        The file the problem is in (an included block names the block's file).
    location : str
        Where in the file, e.g. ``"constructs[2].items[1].text.zh"``; ``""`` for the whole file.
    message : str
        What is wrong.
    hint : str
        How to fix it.
    line : int or None
        1-based line in the file, when known.
    """

    code: str
    file: str
    location: str
    message: str
    hint: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.location:
            where += f" [{self.location}]"
        text = f"{where}: {self.code}: {self.message}"
        if self.hint:
            text += f" Fix: {self.hint}"
        return text

    def to_dict(self) -> dict:
        return asdict(self)


class InstrumentError(GovstatsError):
    """An instrument definition has one or more problems.

    Attributes
    ----------
    problems : list of Problem
        Every problem found, in file order.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in instrument definition"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))

    @property
    def codes(self) -> list[str]:
        """The problem codes, in order (convenient in tests and scripts)."""
        return [p.code for p in self.problems]


class RecipeError(GovstatsError):
    """An analysis recipe (``govstats analyze``) has one or more problems.

    Attributes
    ----------
    problems : list of Problem
        Every problem found, in file order, each with the file, line, place, what is wrong
        and how to fix it.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in recipe"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))

    @property
    def codes(self) -> list[str]:
        """The problem codes, in order."""
        return [p.code for p in self.problems]


class ResponsesError(GovstatsError):
    """A file cannot be read as survey responses at all.

    Raised for files that hold no responses to check: empty, binary, undecodable, a
    single column, a header without data rows, or no column of the instrument. Problems
    *in* readable responses are never raised; :func:`govstats.check_responses` collects them.
    """


class DataError(GovstatsError, ValueError):
    """Data that cannot be analysed as asked (an infinite value, a single cluster, fewer
    respondents than the analysis needs). Names the column, the row or the group, and the fix.

    Also a ``ValueError``, so that code catching the ``ValueError`` raised for such data before
    this class existed keeps working.
    """


class FormError(GovstatsError):
    """A form or data file cannot be written as asked without losing something (a question
    longer than an Excel cell, a column that no variable name of the format can carry)."""


class RenamedWarning(GovstatsWarning):
    """Columns were renamed to fit a file format's rules for variable names; the warning lists
    each old and new name (the old one is kept as the variable label)."""


class VersionMismatchWarning(GovstatsWarning):
    """Responses look collected with another version of the instrument than the one analysing
    them: they hold items that a recorded version dropped (``validation:`` history)."""
