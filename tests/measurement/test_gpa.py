"""The GPA rotation of exploratory SEM blocks (govstats.measurement.gpa): criteria and gradients,
exact recovery of a simple structure, reproducible random starts, lavaan's factor ordering.
lavaan's numbers themselves are in tests/sem/test_esem_against_lavaan.py."""

from __future__ import annotations

import numpy as np
import pytest

from govstats.measurement.gpa import criterion, factor_order, rotate_gpa

RNG = np.random.default_rng(7)
LOADINGS = RNG.uniform(-1, 1, size=(8, 3))


TARGET = np.where(RNG.uniform(size=(8, 3)) < 0.5, np.nan, 0.0)


@pytest.mark.parametrize("method, kwargs", [
    ("geomin", {"epsilon": 0.001}), ("geomin", {"epsilon": 0.01}), ("oblimin", {"gamma": 0.0}),
    ("oblimin", {"gamma": 0.5}), ("varimax", {}), ("quartimax", {}), ("orthomax", {"orthomax_gamma": 0.3}),
    ("cf", {"orthomax_gamma": 0.2}), ("cf-varimax", {}), ("cf-equamax", {}), ("cf-parsimax", {}),
    ("cf-facparsim", {}), ("oblimax", {}), ("entropy", {}), ("pst", {"target": TARGET}),
])
def test_gradient_matches_finite_differences(method, kwargs):
    args = dict(kwargs)
    fun = criterion(method, args.pop("epsilon", 0.001), args.pop("gamma", 0.0), **args)
    _, grad = fun(LOADINGS)
    h = 1e-6
    numeric = np.zeros_like(LOADINGS)
    for i, j in np.ndindex(*LOADINGS.shape):
        e = np.zeros_like(LOADINGS)
        e[i, j] = h
        numeric[i, j] = (fun(LOADINGS + e)[0] - fun(LOADINGS - e)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_quartimin_recovers_an_exact_simple_structure():
    """A pattern with one nonzero loading per row has quartimin 0, the minimum: rotating any
    oblique transformation of it gives it back with its factor correlations."""
    pattern = np.zeros((9, 3))
    for j in range(3):
        pattern[3 * j:3 * j + 3, j] = [0.8, 0.7, 0.6]
    phi = np.array([[1, 0.3, 0.4], [0.3, 1, 0.2], [0.4, 0.2, 1]])
    unrotated = pattern @ np.linalg.cholesky(phi)     # same implied covariance, correlations removed
    res = rotate_gpa(unrotated, "quartimin", rstarts=10, seed=1, tol=1e-10)
    assert res.converged and res.value < 1e-12
    np.testing.assert_allclose(res.loadings, pattern, atol=1e-6)
    np.testing.assert_allclose(res.phi, phi, atol=1e-6)
    # loadings = A inv(H)', phi = H'H
    np.testing.assert_allclose(np.linalg.solve(res.rot, unrotated.T).T, res.loadings, atol=1e-12)
    np.testing.assert_allclose(res.rot.T @ res.rot, res.phi, atol=1e-12)


def test_orthogonal_rotation_recovers_an_orthogonal_simple_structure():
    pattern = np.zeros((9, 3))
    for j in range(3):
        pattern[3 * j:3 * j + 3, j] = [0.8, 0.7, 0.6]
    q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((3, 3)))
    res = rotate_gpa(pattern @ q, "quartimin", orthogonal=True, rstarts=10, seed=1, tol=1e-10)
    assert res.converged and res.value < 1e-12
    np.testing.assert_allclose(res.loadings, pattern, atol=1e-6)
    np.testing.assert_array_equal(res.phi, np.eye(3))
    np.testing.assert_allclose(res.rot.T @ res.rot, np.eye(3), atol=1e-12)


def test_random_starts_are_reproducible_and_keep_the_best():
    one = rotate_gpa(LOADINGS, "geomin", rstarts=5, seed=3)
    two = rotate_gpa(LOADINGS, "geomin", rstarts=5, seed=3)
    np.testing.assert_array_equal(one.loadings, two.loadings)
    single = rotate_gpa(LOADINGS, "geomin", rstarts=0)
    assert one.value <= single.value + 1e-9


def test_reflection_and_index_order():
    res = rotate_gpa(-LOADINGS, "oblimin", rstarts=3, seed=0)
    assert (res.loadings.sum(axis=0) > 0).all()
    loads = np.array([[0.0, 0.9], [0.1, 0.8], [0.9, 0.0], [0.9, 0.1]])  # sums of squares 1.63, 1.46
    np.testing.assert_array_equal(factor_order(loads, "index"), [1, 0])
    np.testing.assert_array_equal(factor_order(loads, "sumofsquares"), [0, 1])
    np.testing.assert_array_equal(factor_order(loads, "none"), [0, 1])


def test_unknown_criterion_is_refused():
    with pytest.raises(ValueError, match="rotation must be one of"):
        criterion("promax")
