"""Ordinal SEM for Likert items as lavaan's WLSMV and ULSMV.

``stage1`` (with ``stage1_mixed`` for continuous variables and ``stage1_covariates`` for
exogenous covariates): thresholds, polychoric/polyserial correlations and their asymptotic
covariance; ``model``: the moments a model implies and their Jacobian; ``estimation``: DWLS/ULS
estimates, robust standard errors, the scaled-shifted test; ``fit``: from the user's data to
:class:`~govstats.sem.results.SEMResults`.
"""

from govstats.sem.ordinal.fit import ORDINAL_ESTIMATORS, fit_ordinal

__all__ = ["ORDINAL_ESTIMATORS", "fit_ordinal"]
