"""Regression algorithms against closed forms and numpy references, in float64 and float32."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx.algorithms import regression


def random_prompts(rng, batch=3, n=9, d=4, dtype=np.float64):
    xs = rng.standard_normal((batch, n, d)).astype(dtype)
    w = rng.standard_normal((batch, d)).astype(dtype)
    ys = np.einsum("bnd,bd->bn", xs, w)
    return xs, ys


def numpy_prefix_weights(xs, ys, solver):
    """Reference: loop over prompts and prefixes with numpy."""
    batch, n, d = xs.shape
    out = np.zeros((batch, n, d))
    for b in range(batch):
        for t in range(1, n):
            out[b, t] = solver(xs[b, :t], ys[b, :t])
    return out


def test_least_squares_is_numpy_min_norm_lstsq(x64, np_rng):
    xs, ys = random_prompts(np_rng, n=9, d=4)   # prefixes t < d are under-determined
    expected = numpy_prefix_weights(xs, ys, lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0])
    got = np.asarray(regression.least_squares_weights(jnp.asarray(xs), jnp.asarray(ys)))
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_least_squares_float32_close_to_float64(np_rng):
    xs, ys = random_prompts(np_rng, n=9, d=4, dtype=np.float32)
    expected = numpy_prefix_weights(xs.astype(np.float64), ys.astype(np.float64),
                                    lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0])
    got = np.asarray(regression.least_squares_weights(jnp.asarray(xs), jnp.asarray(ys)))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=2e-4)


def test_ridge_matches_closed_form(x64, np_rng):
    xs, ys = random_prompts(np_rng)
    lam = 0.3
    expected = numpy_prefix_weights(
        xs, ys, lambda X, y: np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y))
    got = np.asarray(regression.ridge_weights(jnp.asarray(xs), jnp.asarray(ys), lam))
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_every_method_predicts_zero_without_examples(np_rng):
    xs, ys = (jnp.asarray(a) for a in random_prompts(np_rng, dtype=np.float32))
    outputs = [regression.least_squares(xs, ys), regression.ridge(xs, ys, 0.1), regression.averaging(xs, ys),
               regression.nearest_neighbours(xs, ys, 3), regression.online_gd(xs, ys),
               regression.gradient_descent(xs, ys, 0.05, [1, 5])[1], regression.iterative_newton(xs, ys, [1, 3])[1]]
    for preds in outputs:
        np.testing.assert_array_equal(np.asarray(preds)[:, 0], 0.0)


def test_one_gd_step_is_eta_times_xty(x64, np_rng):
    xs, ys = random_prompts(np_rng)
    S, b = regression.prefix_systems(jnp.asarray(xs), jnp.asarray(ys))
    eta = 0.01
    np.testing.assert_allclose(np.asarray(regression.gd_weights(S, b, eta, [1])[0]), eta * np.asarray(b),
                               atol=1e-12)


@pytest.mark.parametrize("dtype,atol", [(np.float64, 1e-9), (np.float32, 2e-4)])
def test_gd_closed_form_equals_iteration(dtype, atol, np_rng):
    with jax.enable_x64(dtype == np.float64):
        xs, ys = random_prompts(np_rng, n=8, d=4, dtype=dtype)
        S, b = regression.prefix_systems(jnp.asarray(xs), jnp.asarray(ys))
        eta, steps = 0.02, [1, 2, 7, 30]
        iterated = np.asarray(regression.gd_iterates(S, b, eta, max(steps)))[np.asarray(steps) - 1]
        closed = np.asarray(regression.gd_weights(S, b, eta, steps))
        scale = np.abs(iterated).max()
        np.testing.assert_allclose(closed / scale, iterated / scale, atol=atol)


def test_gd_many_steps_reaches_least_squares(x64, np_rng):
    xs, ys = random_prompts(np_rng, n=12, d=4)
    S, b = regression.prefix_systems(jnp.asarray(xs), jnp.asarray(ys))
    gd = np.asarray(regression.gd_weights(S, b, 0.02, [100_000])[0])
    ls = np.asarray(regression.least_squares_weights(jnp.asarray(xs), jnp.asarray(ys)))
    # GD converges (to the min-norm solution when S is singular) on prefixes whose nonzero
    # eigenvalues are not tiny: (1 - 0.02 λ)^1e5 < e^-100 for λ > 0.05
    eigs = np.linalg.eigvalsh(np.asarray(S))
    converged = np.array([[e[e > 1e-9].min(initial=np.inf) > 0.05 for e in row] for row in eigs])
    assert converged.sum() > 0.8 * converged.size and (~converged).sum() > 0
    np.testing.assert_allclose(gd[converged], ls[converged], atol=1e-8)


def test_newton_reaches_min_norm_least_squares(x64, np_rng):
    xs, ys = random_prompts(np_rng, n=9, d=4)   # includes rank-deficient prefixes
    S, b = regression.prefix_systems(jnp.asarray(xs), jnp.asarray(ys))
    ls = np.asarray(regression.least_squares_weights(jnp.asarray(xs), jnp.asarray(ys)))
    # Fu et al.'s α = 2/‖SSᵀ‖_F: every prefix of rank ≥ 2 converges to the min-norm solution; a
    # one-example prefix (rank 1) has αλ² = 2, so M_k = 0 for k ≥ 1 and it predicts 0 (until the
    # rounding of αλ² = 2(1 ± ε) has been squared ~50 times: 2³⁰ε ≈ 2e-7 at 30 iterations)
    newton = np.asarray(regression.newton_weights(S, b, 40))
    np.testing.assert_allclose(newton[-1, :, 2:], ls[:, 2:], atol=1e-8)
    np.testing.assert_allclose(newton[:30, :, :2], 0.0, atol=1e-6 * np.abs(ls).max())
    # α = 1/‖SSᵀ‖_F (this suite's earlier choice) converges on every prefix, rank 1 included
    half = np.asarray(regression.newton_weights(S, b, 40, alpha_scale=1.0)[-1])
    np.testing.assert_allclose(half, ls, atol=1e-8)


def test_newton_inverse_converges_to_the_pseudo_inverse(x64, np_rng):
    """M_k → S⁺ on range(S) in float64 for full-rank and rank-deficient (rank ≥ 2) S, at both α
    scales (on a singular S the rounding in the null-space block of M doubles every iteration, which
    never reaches a prediction: b = Xᵀy lies in range(S))."""
    for rows in (12, 3, 2):                                # rank 5, 3 and 2 of a 5 × 5 S
        X = np_rng.standard_normal((rows, 5))
        S = X.T @ X
        pinv = np.linalg.pinv(S)
        onto_range = S @ pinv
        for scale in (2.0, 1.0):
            m = np.asarray(regression.newton_inverses(jnp.asarray(S), 30, alpha_scale=scale)[-1])
            np.testing.assert_allclose(onto_range @ m @ onto_range, pinv, atol=1e-8 * np.abs(pinv).max())


def test_newton_error_contracts_quadratically(x64, np_rng):
    """On range(S): I − M_{k+1}S = (I − M_k S)², so the spectral error squares every iteration."""
    X = np_rng.standard_normal((30, 5))
    S = jnp.asarray(X.T @ X)
    ms = np.asarray(regression.newton_inverses(S, 12))
    errors = np.array([np.linalg.norm(np.eye(5) - m @ np.asarray(S), 2) for m in ms])
    assert errors[0] < 1.0
    for k in range(len(errors) - 1):
        if errors[k] > 1e-7:   # until float64 round-off
            np.testing.assert_allclose(errors[k + 1], errors[k] ** 2, rtol=1e-6)
    assert errors[-1] < 1e-12


def test_newton_alpha_is_the_authors_definition(x64, np_rng):
    """Fu et al.'s code (DeqingFu/transformers-icl-higher-order, src/models.py, newton_inv):
    α = 2/‖AAᵀ‖ (torch's default matrix norm: Frobenius), M₀ = αAᵀ, then M ← M(2I − AM)."""
    S = jnp.diag(jnp.array([3.0, 1.0]))
    np.testing.assert_allclose(float(regression.newton_alpha(S)), 2.0 / np.sqrt(81.0 + 1.0), rtol=1e-12)
    np.testing.assert_allclose(float(regression.newton_alpha(S, 1.0)), 1.0 / np.sqrt(81.0 + 1.0), rtol=1e-12)
    assert float(regression.newton_alpha(jnp.zeros((2, 2)))) == 0.0
    X = np_rng.standard_normal((7, 4))
    A = X.T @ X
    alpha = 2.0 / np.linalg.norm(A @ A.T)                   # numpy's matrix default is Frobenius too
    np.testing.assert_allclose(float(regression.newton_alpha(jnp.asarray(A))), alpha, rtol=1e-12)
    m, reference = alpha * A.T, []
    for _ in range(5):
        m = m @ (2.0 * np.eye(4) - A @ m)
        reference.append(m)
    np.testing.assert_allclose(np.asarray(regression.newton_inverses(jnp.asarray(A), 5)), reference,
                               rtol=1e-10, atol=1e-14)


def test_newton_float32_few_steps_close_to_float64(np_rng):
    xs, ys = random_prompts(np_rng, dtype=np.float32)
    p32 = np.asarray(regression.iterative_newton(jnp.asarray(xs), jnp.asarray(ys), [1, 3, 6]))
    with jax.enable_x64(True):
        p64 = np.asarray(regression.iterative_newton(jnp.asarray(xs, jnp.float64),
                                                     jnp.asarray(ys, jnp.float64), [1, 3, 6]))
    np.testing.assert_allclose(p32, p64, atol=1e-3, rtol=1e-3)


def test_online_gd_matches_loop(x64, np_rng):
    xs, ys = random_prompts(np_rng, batch=2)
    for eta in (None, 0.05):
        got = np.asarray(regression.online_gd(jnp.asarray(xs), jnp.asarray(ys), eta))
        for b in range(xs.shape[0]):
            w = np.zeros(xs.shape[-1])
            for t in range(xs.shape[1]):
                x, y = xs[b, t], ys[b, t]
                assert got[b, t] == pytest.approx(x @ w, abs=1e-10)
                rate = 1.0 / (x @ x) if eta is None else eta
                w = w - rate * (x @ w - y) * x


def test_averaging_and_knn_match_loops(x64, np_rng):
    xs, ys = random_prompts(np_rng, batch=2, n=8, d=3)
    avg = np.asarray(regression.averaging(jnp.asarray(xs), jnp.asarray(ys)))
    knn = np.asarray(regression.nearest_neighbours(jnp.asarray(xs), jnp.asarray(ys), 3))
    for b in range(2):
        for t in range(1, 8):
            w = (ys[b, :t, None] * xs[b, :t]).mean(axis=0)
            assert avg[b, t] == pytest.approx(xs[b, t] @ w, abs=1e-10)
            dist = ((xs[b, :t] - xs[b, t]) ** 2).sum(axis=1)
            nearest = np.argsort(dist)[:3]
            assert knn[b, t] == pytest.approx(ys[b, nearest].mean(), abs=1e-10)


def test_squared_error_per_position_normalises_by_d():
    preds = jnp.zeros((4, 3))
    ys = jnp.ones((4, 3)) * 2.0
    np.testing.assert_allclose(np.asarray(regression.squared_error_per_position(preds, ys, 4)), [1.0, 1.0, 1.0])
