"""The rules :func:`govstats.check_responses` applies: name, kind and what each means.

``schema`` rules are about what the file holds (``--strict`` fails on any); ``quality``
rules flag respondents whose answers look careless (kept, marked, excluded only on request).
"""

SCHEMA, QUALITY = "schema", "quality"

RULES: dict[str, tuple[str, str]] = {
    "missing-column": (SCHEMA, "a column of the instrument is not in the file"),
    "unexpected-column": (SCHEMA, "a column the instrument does not have"),
    "duplicate-column": (SCHEMA, "two columns with the same name"),
    "empty-row": (SCHEMA, "a row with no value at all"),
    "missing-id": (SCHEMA, "no respondent id"),
    "duplicate-id": (SCHEMA, "a respondent id on more than one row"),
    "no-consent": (SCHEMA, "consent not given (not 1): the answers must not be used"),
    "label-not-code": (SCHEMA, "label text where a code belongs (read the file with read_responses)"),
    "unknown-label": (SCHEMA, "text that is neither a code nor a label of the column's scale"),
    "code-out-of-range": (SCHEMA, "a number that is not a code of the column's scale"),
    "wrong-type": (SCHEMA, "a value of the wrong kind (text for a number, an unreadable time)"),
    "value-out-of-range": (SCHEMA, "a number outside the question's min and max"),
    "required-missing": (SCHEMA, "a required question left blank"),
    "not-asked": (SCHEMA, "an answer to a question the skip logic does not ask"),
    "end-before-start": (SCHEMA, "the interview ends before it starts"),
    "multiple-mismatch": (SCHEMA, "a select_multiple answer that its 0/1 option columns (KoboToolbox, ODK) contradict"),
    "long-string": (QUALITY, "the same answer over a long run of items or most Likert blocks (straight-lining)"),
    "low-irv": (QUALITY, "answers that hardly vary across items (low intra-individual variability)"),
    "mahalanobis": (QUALITY, "an answer pattern far from everyone else's (Mahalanobis distance, p < alpha)"),
    "attention-check": (QUALITY, "the instructed answer of an attention check not given"),
    "speeder": (QUALITY, "finished far faster than the median duration"),
    "too-much-missing": (QUALITY, "too many items left blank"),
    "duplicate-ip": (QUALITY, "submitted from the same IP address as another respondent (a platform export)"),
}

QUALITY_RULES = tuple(r for r, (kind, _) in RULES.items() if kind == QUALITY)
