"""Response data: synthetic data from an instrument's population model (reading, checks and scoring follow)."""

from govstats.data.simulate import SimulatedData, simulate, simulate_to_csv, write_csv
from govstats.data.truth import Truth, population_params

__all__ = ["SimulatedData", "Truth", "population_params", "simulate", "simulate_to_csv", "write_csv"]

# Reading, checking and scoring field responses; what an analysis given an instrument may use.
from govstats.data.analysis_frame import AnalysisFrame, analysis_frame
from govstats.data.check import check_responses
from govstats.data.read import read_responses
from govstats.data.report import CheckReport
from govstats.data.score import score

__all__ += ["AnalysisFrame", "CheckReport", "analysis_frame", "check_responses", "read_responses", "score"]

# Wenjuanxing (问卷星) exports written from responses: pilots, teaching, round-trip tests.
from govstats.data.wenjuanxing_export import wenjuanxing_export, write_wenjuanxing_export

__all__ += ["wenjuanxing_export", "write_wenjuanxing_export"]
