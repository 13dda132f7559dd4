"""Measurement quality: EFA, reliability, validity, common-method checks and multilevel aggregation,
matched to psych, semTools, multilevel and lme4."""

from govstats.measurement.common_method import HarmanResult, harman
from govstats.measurement.efa import EFAResults, efa
from govstats.measurement.mixed_model import MixedResults, add_cluster_means, multilevel_regression
from govstats.measurement.multilevel import MultilevelResults, multilevel
from govstats.measurement.reliability import ReliabilityResults, reliability
from govstats.measurement.validity import ValidityResults, validity

__all__ = ["EFAResults", "HarmanResult", "MixedResults", "MultilevelResults", "ReliabilityResults", "ValidityResults",
           "add_cluster_means", "efa", "harman", "multilevel", "multilevel_regression", "reliability", "validity"]
