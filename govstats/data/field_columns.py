"""The columns of a response file that are not construct items: ids, times, consent, questions.

Values follow each question's declared population (``proportions``, ``probabilities``,
``mean``/``sd``) or a plain default, and skip logic (``ask_if``) leaves unasked questions
empty, as survey software exports them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FIELDWORK_START = pd.Timestamp("2026-05-01 00:00:00")
FIELDWORK_DAYS = 30
TIMEZONE_SUFFIX = "+08:00"  # China Standard Time, no daylight saving: a fixed suffix is exact
DEFAULT_TICK_PROBABILITY = 0.3


def int_column(values: np.ndarray, missing: np.ndarray | None = None, dtype: str = "Int8") -> pd.arrays.IntegerArray:
    values = np.ascontiguousarray(values, dtype=dtype.lower())
    mask = np.zeros(len(values), dtype=bool) if missing is None else np.ascontiguousarray(missing)
    return pd.arrays.IntegerArray(values, mask)


def median_duration(n_questions: int) -> float:
    """Typical seconds to complete the form: one minute plus eight seconds a question."""
    return 60.0 + 8.0 * n_questions


def durations(rng: np.random.Generator, m: int, n_questions: int) -> np.ndarray:
    """Seconds to complete the form: log-normal around the median duration (sd of the log .35)."""
    return np.round(median_duration(n_questions) * np.exp(0.35 * rng.standard_normal(m)))


def start_times(rng: np.random.Generator, m: int) -> np.ndarray:
    """Interview starts spread over the fieldwork month, between 08:00 and 20:00."""
    day = rng.integers(0, FIELDWORK_DAYS, m)
    second = rng.integers(8 * 3600, 20 * 3600, m)
    base = np.datetime64(FIELDWORK_START.to_datetime64(), "s")
    return base + (day * 86400 + second).astype("timedelta64[s]")


def question_column(q, rng: np.random.Generator, m: int, asked: np.ndarray):
    """Simulated answers to one question for ``m`` respondents; empty where not ``asked``."""
    pop = q.population
    missing = ~asked
    if q.type == "single_choice":
        p = np.asarray(pop.get("proportions", np.full(len(q.choices), 1 / len(q.choices))))
        codes = np.asarray(q.codes)[rng.choice(len(q.choices), size=m, p=p / p.sum())]
        return int_column(codes, missing, "Int64" if max(map(abs, q.codes)) > 127 else "Int8")
    if q.type == "multiple_choice":
        p = np.asarray(pop.get("probabilities", np.full(len(q.choices), DEFAULT_TICK_PROBABILITY)))
        ticked = rng.random((m, len(q.choices))) < p
        if q.required:  # the form will not let a respondent tick nothing: take the likeliest choice
            ticked[~ticked.any(axis=1), int(np.argmax(p))] = True
        labels = [str(c) for c in q.codes]
        out = np.array([" ".join(l for l, t in zip(labels, row) if t) for row in ticked], dtype=object)
        out[missing] = None
        return pd.array(out, dtype="str")
    if q.type in ("integer", "decimal"):
        lo = q.min if q.min is not None else (0.0 if q.max is None else min(0.0, q.max))
        hi = q.max if q.max is not None else lo + 100.0
        mean = pop.get("mean", (lo + hi) / 2)
        sd = pop.get("sd", (hi - lo) / 6 or 1.0)
        x = np.clip(mean + sd * rng.standard_normal(m), lo, hi)
        if q.type == "integer":
            return int_column(np.round(x), missing, "Int64")
        x = np.round(x, 1)
        x[missing] = np.nan
        return x
    # Free text and dates are not simulated: left empty, as a respondent may leave them.
    return pd.array([None] * m, dtype="str")


def asked_mask(q, columns: dict, m: int) -> np.ndarray:
    if q.ask_if is None:
        return np.ones(m, dtype=bool)
    answers = columns[q.ask_if.question]
    values = np.asarray(answers.to_numpy(dtype="float64", na_value=np.nan))
    return np.isin(values, q.ask_if.codes)
