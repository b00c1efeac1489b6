"""The console's map: PCA of a sample, checked against numpy's full SVD."""

from __future__ import annotations

import numpy as np

from s3vectors_emulator.projection import project


def test_leading_components_and_explained_variance_match_a_full_svd() -> None:
    rng = np.random.default_rng(3)
    matrix = (rng.standard_normal((600, 64)) * (1.0 / np.arange(1, 65))).astype(np.float32)
    for normalise in (False, True):
        got = project(matrix, normalise)
        x = matrix.astype(np.float64)
        if normalise:
            x /= np.linalg.norm(x, axis=1, keepdims=True)
        x -= x.mean(axis=0)
        _, s, vt = np.linalg.svd(x, full_matrices=False)
        assert np.allclose(got.explained, s[:2] ** 2 / (s**2).sum(), rtol=1e-6)
        for i in range(2):
            assert abs(abs(float(got.axes[i] @ vt[i])) - 1.0) < 1e-6
        assert np.allclose(got.points, x @ got.axes.T)
        # A vector of the sample projects where its point is.
        assert np.allclose(got.project(matrix[5]), got.points[5])


def test_degenerate_samples() -> None:
    assert project(np.ones((5, 3), dtype=np.float32), False).explained == (0.0, 0.0)
    assert project(np.ones((1, 3), dtype=np.float32), True).points.shape == (1, 2)
    assert project(np.empty((0, 3), dtype=np.float32), True).points.shape == (0, 2)
