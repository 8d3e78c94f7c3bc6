"""The classification baselines (iclx.algorithms.classification)."""

import jax
import jax.numpy as jnp
import numpy as np


def test_logistic_smoothness_bounds_the_hessian_everywhere_and_gd_descends(x64, np_rng):
    """``logistic_smoothness`` ≥ λ_max of the autodiff Hessian of the objective at θ = 0 and at random
    θ (binary and 3-class, masked prefixes, inputs up to scale 3), within ~21^{1/16} of the largest;
    GD with step lr/L then decreases the objective at every step for lr = 1.9, on prompts where the
    former fixed step 0.5 exceeds 2/λ_max at θ = 0."""
    from iclx.algorithms import classification

    l2 = 1e-2
    fixed_step_unstable = False
    for c, d, M, scale in ((2, 20, 5, 3.0), (2, 8, 40, 1.0), (3, 4, 12, 3.0)):
        xs = scale * np_rng.standard_normal((M, d)) + np_rng.standard_normal(d)
        onehot = np.eye(c)[np_rng.integers(0, c, M)]
        mask = (np.arange(M) < M - 2).astype(float)
        feats = np.concatenate([xs, np.ones((M, 1))], 1)

        def objective(flat):
            logp = jax.nn.log_softmax(feats @ flat.reshape(d + 1, c), -1)
            return (-jnp.sum(mask * jnp.sum(onehot * logp, -1)) / mask.sum()
                    + 0.5 * l2 * jnp.sum(flat.reshape(d + 1, c)[:-1] ** 2))

        bound = float(classification.logistic_smoothness(jnp.asarray(feats), jnp.asarray(mask), l2))
        hessian = jax.jit(jax.hessian(objective))
        for theta in [np.zeros((d + 1) * c)] + [np_rng.standard_normal((d + 1) * c) for _ in range(3)]:
            lam = np.linalg.eigvalsh(np.asarray(hessian(jnp.asarray(theta))))[-1]
            assert lam <= bound * (1 + 1e-9)
        lam0 = np.linalg.eigvalsh(np.asarray(hessian(jnp.zeros((d + 1) * c))))[-1]
        assert bound <= (d + 1) ** (1 / 16) * 2.0 * lam0 + l2   # the bound is not loose (Böhning's ½)
        fixed_step_unstable |= 0.5 * lam0 > 2.0
        _, values = jax.jit(classification.logistic_path, static_argnums=2)(jnp.asarray(xs), jnp.asarray(onehot), 200,
                                                                            1.9, l2, jnp.asarray(mask))
        assert np.all(np.diff(np.asarray(values)) <= 1e-12)
    assert fixed_step_unstable
