"""Structural equation models: lavaan-style syntax, ML/MLR/cluster-robust estimation, results.

``govstats.fit`` is the entry point; :class:`~govstats.sem.model.CompiledModel` compiles a
model once for repeated refits.
"""
