"""Estimation trouble, said twice: a typed warning now and a note kept in the results."""

from __future__ import annotations

import warnings

import pandas as pd

from govstats.errors import ConvergenceWarning, HeywoodWarning, IdentificationWarning


def not_converged(message: str, messages: list[str], what: str = "model") -> None:
    messages.append(f"The model did not converge: {message}.")
    warnings.warn(f"fit: the {what} did not converge ({message}); the estimates are not trustworthy.",
                  ConvergenceWarning, stacklevel=4)


def heywood(params: pd.DataFrame, messages: list[str]) -> None:
    """Negative variance estimates (residual variances of ordered items included: 1 - R^2 < 0)."""
    rows = params[(params.op == "~~") & (params.lhs == params.rhs) & (params.est < 0)]
    if len(rows):
        names = ", ".join(rows.lhs)
        messages.append(f"Negative variance estimates (Heywood case): {names}.")
        warnings.warn(f"fit: negative variance estimate(s) for {names} (a Heywood case).", HeywoodWarning,
                      stacklevel=4)


def not_identified(messages: list[str], why: str = "the information matrix is singular") -> None:
    messages.append(f"The model may not be identified ({why}); standard errors are not available. If it is "
                    "identified, the variables' scales may differ by orders of magnitude: rescale them.")
    warnings.warn(f"fit: {why} (is the model identified?); no standard errors.", IdentificationWarning,
                  stacklevel=4)
