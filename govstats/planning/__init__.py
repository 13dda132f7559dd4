"""Sample-size planning: Monte Carlo power from a population model, and analytic power.

- :func:`power`: Monte Carlo power per sample size and parameter (:mod:`govstats.planning.montecarlo`).
- :func:`rmsea_power`: RMSEA tests of close and not-close fit (:mod:`govstats.planning.analytic`).
- :func:`parameter_power`: Satorra and Saris' power for parameters of a population model
  (:mod:`govstats.planning.parameters`).
"""

from govstats.planning.analytic import AnalyticPower, chisq_power, rmsea_power
from govstats.planning.montecarlo import PowerResult, power
from govstats.planning.parameters import parameter_power
from govstats.planning.population import Population, population_from_syntax

__all__ = ["AnalyticPower", "Population", "PowerResult", "chisq_power", "parameter_power", "population_from_syntax",
           "power", "rmsea_power"]
