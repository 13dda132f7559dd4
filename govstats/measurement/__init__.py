"""Measurement quality: EFA, reliability, validity and common-method checks, matched to psych and semTools."""

from govstats.measurement.common_method import HarmanResult, harman
from govstats.measurement.efa import EFAResults, efa
from govstats.measurement.reliability import ReliabilityResults, reliability
from govstats.measurement.validity import ValidityResults, validity

__all__ = ["EFAResults", "HarmanResult", "ReliabilityResults", "ValidityResults", "efa", "harman",
           "reliability", "validity"]
