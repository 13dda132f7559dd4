"""Validating an instrument: pilot item analysis, EFA, the main study's CFA, suggested actions,
the evidence recorded in the instrument file, and versions compared."""

from govstats.validation.criteria import Criteria
from govstats.validation.workflow import ValidationResults, validate

__all__ = ["Criteria", "ValidationResults", "validate"]
