"""Ordinal SEM for Likert items as lavaan's WLSMV and ULSMV.

``stage1`` (with ``stage1_mixed`` for continuous variables and ``stage1_covariates`` for
exogenous covariates): thresholds, polychoric/polyserial correlations and their asymptotic
covariance; ``model``: a group's implied stage-1 statistics and their Jacobian; ``estimation``:
robust standard errors, the scaled-shifted test and the robust fit ingredients. The objective
(:mod:`govstats.sem.objectives`) and the optimizer are shared with ML.
"""

ORDINAL_ESTIMATORS = ("WLSMV", "ULSMV")
