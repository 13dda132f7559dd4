"""Structural equation models as lavaan: ML, MLR, cluster-robust, WLSMV/ULSMV, multiple groups.

``govstats.fit`` is the entry point. Inside, one pipeline serves every estimator: options
(:mod:`~govstats.sem.options`) -> statistics per group (:mod:`~govstats.sem.statistics`,
:mod:`~govstats.sem.prepare`) -> a model compiled once (:mod:`~govstats.sem.model`: syntax,
parameter table, per-group implied moments) -> an objective (:mod:`~govstats.sem.objectives`) for
the one optimizer (:mod:`~govstats.sem.optimizer`) -> inference (:mod:`~govstats.sem.inference`)
-> :class:`~govstats.sem.results.SEMResults`. :func:`govstats.sem.fit.refit` refits a compiled
model on new statistics without changing it (bootstrap, power).
"""
