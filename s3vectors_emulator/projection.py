"""A 2-D map of an index's vectors: principal component analysis of a sample, with numpy.

The two leading components come from a randomized SVD (Halko, Martinsson and Tropp, 2011): a few
products of the sample with a thin random matrix instead of a full decomposition, which for
5,000 × 1,024 takes a few milliseconds where ``np.linalg.svd`` takes seconds.  Cosine indexes are
normalised first, so the map shows the directions their distances compare.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_OVERSAMPLE = 30  # extra random directions: exact for embeddings, within a few percent on pure noise
_POWER_ITERATIONS = 4


@dataclass(frozen=True)
class Projection:
    points: NDArray[np.float64]  # (n, 2)
    explained: tuple[float, float]  # the share of the sample's variance along each axis
    mean: NDArray[np.float64]
    axes: NDArray[np.float64]  # (2, d)
    normalise: bool

    def project(self, vector: NDArray[np.float32]) -> tuple[float, float]:
        """Where ``vector`` falls on the map."""
        x = _prepared(vector[None, :], self.normalise)[0] - self.mean
        coords = self.axes @ x
        return float(coords[0]), float(coords[1])


def _prepared(matrix: NDArray[np.float32], normalise: bool) -> NDArray[np.float64]:
    x = matrix.astype(np.float64)
    if normalise:
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x /= np.where(norms == 0.0, 1.0, norms)
    return x


def project(matrix: NDArray[np.float32], normalise: bool, seed: int = 0) -> Projection:
    """The sample ``matrix`` (rows are vectors) on its two leading principal components."""
    x = _prepared(matrix, normalise)
    n, d = x.shape
    mean = x.mean(axis=0) if n else np.zeros(d)
    x -= mean
    total = float(np.einsum("ij,ij->", x, x))
    if n < 2 or total == 0.0:
        return Projection(np.zeros((n, 2)), (0.0, 0.0), mean, np.zeros((2, d)), normalise)
    rank = min(2 + _OVERSAMPLE, n, d)
    rng = np.random.default_rng(seed)
    basis = x @ rng.standard_normal((d, rank))
    for _ in range(_POWER_ITERATIONS):
        basis, _ = np.linalg.qr(basis)
        basis = x @ (x.T @ basis)
    basis, _ = np.linalg.qr(basis)
    _, singular, vt = np.linalg.svd(basis.T @ x, full_matrices=False)
    axes = np.zeros((2, d))
    axes[: min(2, len(vt))] = vt[:2]
    # A deterministic orientation: the largest coordinate of each axis is positive.
    for i in range(2):
        if axes[i, np.argmax(np.abs(axes[i]))] < 0:
            axes[i] = -axes[i]
    variances = np.zeros(2)
    variances[: min(2, len(singular))] = singular[:2] ** 2
    explained = (float(variances[0] / total), float(variances[1] / total))
    return Projection(x @ axes.T, explained, mean, axes, normalise)
