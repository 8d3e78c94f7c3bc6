"""Layer-wise probes, SimE, SimW and best-match logic (Fu et al. 2023 §3.3), checked on closed
forms, numpy references, a synthetic heatmap and a transformer whose layers are known (the Newton
construction)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx import probes
from iclx.algorithms import regression
from iclx.models import constructions
from iclx.models.gpt2 import GPT2ICL


def prompts(rng, batch=64, n=10, d=4):
    xs = rng.standard_normal((batch, n, d))
    w = rng.standard_normal((batch, d))
    return jnp.asarray(xs), jnp.asarray(np.einsum("bnd,bd->bn", xs, w))


# --------------------------------------------------------------------------- probe fitting


def test_chunked_statistics_equal_one_pass(x64, np_rng):
    feats = jnp.asarray(np_rng.standard_normal((3, 12, 5, 4)) + 7.0)   # a large mean: Chan's merge
    ys = jnp.asarray(np_rng.standard_normal((12, 5)))
    whole = probes.probe_stats(feats, ys)
    merged = probes.merge_stats(probes.merge_stats(probes.probe_stats(feats[:, :3], ys[:3]),
                                                   probes.probe_stats(feats[:, 3:8], ys[3:8])),
                                probes.probe_stats(feats[:, 8:], ys[8:]))
    for a, b in zip(whole, merged):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-10)


def test_merging_into_empty_moments_is_the_identity(x64, np_rng):
    stats = probes.probe_stats(jnp.asarray(np_rng.standard_normal((2, 5, 4, 3))),
                               jnp.asarray(np_rng.standard_normal((5, 4))))
    empty = jax.tree.map(jnp.zeros_like, stats)
    for a, b in zip(probes.merge_stats(empty, stats), stats):
        np.testing.assert_allclose(a, b, atol=1e-14)


def test_least_squares_probe_recovers_a_linear_read_out(x64, np_rng):
    feats = jnp.asarray(np_rng.standard_normal((2, 50, 6, 5)))
    u_true = np_rng.standard_normal((2, 5))
    v_true = np.array([0.3, -1.2])
    # layer 0's read-out is the target; layer 1's features predict it less well
    ys = jnp.einsum("bnh,h->bn", feats[0], u_true[0]) + v_true[0]
    u, v = probes.solve_probes(probes.probe_stats(feats, ys), ridge=0.0)
    np.testing.assert_allclose(u[0], u_true[0], atol=1e-10)
    np.testing.assert_allclose(v[0], v_true[0], atol=1e-10)
    preds = probes.probe_predictions(feats, u, v)
    np.testing.assert_allclose(preds[0], ys, atol=1e-10)
    # the least-squares residual is orthogonal to every feature of layer 1
    residual = (preds[1] - ys).reshape(-1)
    np.testing.assert_allclose(feats[1].reshape(-1, 5).T @ residual, 0.0, atol=1e-8)


def test_ridge_pulls_the_probe_to_its_anchor(x64, np_rng):
    feats = jnp.asarray(np_rng.standard_normal((1, 40, 5, 3)))
    ys = jnp.asarray(np_rng.standard_normal((40, 5)))
    anchor = jnp.array([1.0, -2.0, 0.5])
    stats = probes.probe_stats(feats, ys)
    u_ls, _ = probes.solve_probes(stats, 0.0)
    u_mid, _ = probes.solve_probes(stats, 1.0, anchor)
    u_far, _ = probes.solve_probes(stats, 1e9, anchor)
    np.testing.assert_allclose(u_far[0], anchor, atol=1e-6)
    d_mid, d_ls = np.linalg.norm(u_mid[0] - anchor), np.linalg.norm(u_ls[0] - anchor)
    assert 1e-3 < d_mid < d_ls


def test_layer_features_follow_hugging_face_semantics():
    model = GPT2ICL(n_dims=3, n_positions=12, n_layer=3, n_head=1, n_embd=8, mlp_width=16)
    xs = jax.random.normal(jax.random.key(0), (2, 6, 3))
    ys = jax.random.normal(jax.random.key(1), (2, 6))
    params = model.init(jax.random.key(2), xs, ys)["params"]
    preds, hidden = model.apply({"params": params}, xs, ys, return_hidden=True)
    feats = probes.layer_features(hidden)
    assert feats.shape == (3, 2, 6, 8)
    np.testing.assert_array_equal(feats[0], hidden.residual[1, :, ::2])   # raw residual, block 1
    np.testing.assert_array_equal(feats[1], hidden.residual[2, :, ::2])
    np.testing.assert_array_equal(feats[2], hidden.final[:, ::2])          # ln_f output
    # the final read-out as a probe of the last layer gives the model's predictions
    u = jnp.zeros((3, 8)).at[2].set(params["read_out"]["kernel"][:, 0])
    v = jnp.zeros(3).at[2].set(params["read_out"]["bias"][0])
    np.testing.assert_allclose(probes.probe_predictions(feats, u, v)[2], preds, atol=1e-5)


# --------------------------------------------------------------------------- similarity of errors


def test_sime_is_the_mean_of_per_prompt_cosines(np_rng):
    ys = np_rng.standard_normal((7, 6))
    a = np_rng.standard_normal((2, 7, 6))
    b = np_rng.standard_normal((3, 7, 6))
    heat = np.asarray(probes.similarity_of_errors(a, b, ys, first_position=1))
    for k in range(2):
        for ell in range(3):
            ra, rb = (a[k] - ys)[:, 1:], (b[ell] - ys)[:, 1:]
            cos = np.sum(ra * rb, 1) / np.linalg.norm(ra, axis=1) / np.linalg.norm(rb, axis=1)
            assert heat[k, ell] == pytest.approx(cos.mean(), abs=1e-6)   # not a pooled cosine


def test_sime_of_an_algorithm_with_itself_is_one_and_with_a_shifted_copy_less(x64, np_rng):
    xs, ys = prompts(np_rng, batch=128, n=10, d=4)
    newton = regression.newton_predictions(xs, ys, 8)                              # [8, B, n]
    heat = np.asarray(probes.similarity_of_errors(newton, newton, ys))
    np.testing.assert_allclose(np.diag(heat), 1.0, atol=1e-12)
    assert np.all(heat[~np.eye(8, dtype=bool)] < 1.0 - 1e-4)
    # a shifted copy (Newton k + 1 against Newton k) is the best match of nothing but itself
    match = probes.best_match(heat)
    np.testing.assert_array_equal(match.index, np.arange(8))
    assert heat[3, 4] < 1.0 and probes.residual_cosine(newton[4], newton[3], ys).mean() < 1.0


# --------------------------------------------------------------------------- similarity of weights


def test_induced_weights_of_a_linear_predictor_are_its_weights(x64, np_rng):
    queries = jnp.asarray(np_rng.standard_normal((5, 40, 4)))   # T = 10 d
    w = jnp.asarray(np_rng.standard_normal((5, 4)))
    fitted = probes.induced_weights(queries, jnp.einsum("btd,bd->bt", queries, w))
    np.testing.assert_allclose(fitted, w, atol=1e-12)


def test_simw_is_one_for_identical_weights_and_scale_free(np_rng):
    w = np_rng.standard_normal((2, 6, 5, 4))                    # [K, B, t, d]
    heat = np.asarray(probes.similarity_of_weights(w, 3.0 * w))
    np.testing.assert_allclose(np.diag(heat), 1.0, atol=1e-6)
    assert heat[0, 1] < 0.5                                     # independent directions


# --------------------------------------------------------------------------- best match


def test_best_match_takes_first_argmax_and_rounding_ties():
    heat = np.array([[0.50, 0.900, 0.30],
                     [0.9871, 0.950, 0.30],
                     [0.9874, 0.990, 0.30],
                     [0.9869, 0.991, 0.30],
                     [0.70, 0.986, 0.30]])
    match = probes.best_match(heat, decimals=3)
    np.testing.assert_array_equal(match.index, [2, 3, 0])        # first maximum of unrounded scores
    np.testing.assert_array_equal(match.low, [1, 3, 0])          # .987 three times; .990 < .991
    np.testing.assert_array_equal(match.high, [3, 3, 4])
    np.testing.assert_allclose(match.score, [0.9874, 0.991, 0.30])
    coarse = probes.best_match(heat, decimals=2)                      # .990, .991, .986 all round to .99
    np.testing.assert_array_equal(coarse.index, match.index)
    np.testing.assert_array_equal(coarse.low, [1, 2, 0])
    np.testing.assert_array_equal(coarse.high, [3, 4, 4])


def test_best_steps_map_indices_to_steps_per_seed():
    steps = np.array([1, 50, 100])
    heats = np.stack([np.array([[0.9, 0.1], [0.5, 0.8], [0.1, 0.7]]),
                      np.array([[0.2, 0.1], [0.9, 0.3], [0.1, 0.95]])])
    best = probes.best_steps(heats, steps)
    np.testing.assert_array_equal(best["best"], [[1, 50], [50, 100]])
    np.testing.assert_allclose(best["score"], [[0.9, 0.8], [0.9, 0.95]])


# --------------------------------------------------------------------------- a model with known layers


def test_probes_on_the_newton_construction_recover_its_iterations(x64, np_rng):
    """Block b of the Newton transformer holds the prediction of b − 2 Newton iterations in one
    coordinate; the pipeline (features → ridge probes → SimE → best match) must find that step when
    the probe is held at that coordinate (a strong ridge towards the anchor). A nearly free probe
    (the experiments' ridge 1e-4) fits y with the other coordinates too and may look one iteration
    further along (with Fu et al.'s α = 2/‖SSᵀ‖_F it rescales the early iterates by up to 1.6)."""
    k = 5
    xs, ys = prompts(np_rng, batch=256, n=10, d=4)
    states = constructions.newton_transformer_states(xs, ys, k)                   # [k + 3, B, n, D]
    feats = states[1:]                                                # blocks 1..k+2
    slots = constructions.newton_slots(4)
    anchor = jnp.zeros(slots.width).at[slots.p].set(1.0)              # "final read-out": the p slot
    newton = regression.newton_predictions(xs, ys, k + 4)
    found = {}
    for ridge in (1e2, 1e-4):
        u, v = probes.solve_probes(probes.probe_stats(feats, ys), ridge, anchor)
        heat = np.asarray(probes.similarity_of_errors(newton, probes.probe_predictions(feats, u, v), ys))
        found[ridge] = probes.best_steps(heat[None], np.arange(1, k + 5))["best"][0][2:]
    np.testing.assert_array_equal(found[1e2], np.arange(1, k + 1))   # blocks 3..k+2 ↔ steps 1..k
    assert set(found[1e-4] - np.arange(1, k + 1)) <= {0, 1} and np.all(np.diff(found[1e-4]) >= 0)


def test_network_induced_weights_equal_one_forward_pass_per_prefix_and_query():
    """NetworkProbe.induced_weights (one prefix at a time) against all (prefix, query) sequences in
    one batch, the direct definition: x_t replaced by query k, layer read-outs at position t."""
    from iclx import models
    from iclx.tasks import linear

    d, n, T = 3, 6, 5
    model = models.build(models.gpt2.default_config(n_layer=2, n_head=2, n_embd=16, n_positions=2 * n), d)
    task = linear.LinearRegressionTask(n_dims=d, n_points=n)
    prompt = task.sample_batch(jax.random.key(0), 2)
    params = model.init(jax.random.key(1), prompt.xs, prompt.ys)["params"]
    probe = probes.NetworkProbe(model, task, n_batches=1, batch_size=8, ridge=1e-4, anchor="final",
                                predict_batch=2, induced_batch=1)
    u, v = probe.fit(params, jax.random.key(2))
    queries = jax.random.normal(jax.random.key(3), (2, T, d))
    got = probe.induced_weights(params, u, v, prompt.xs, prompt.ys, queries)      # [L, B, n−1, d]
    for b in range(2):
        x, y, q = prompt.xs[b], prompt.ys[b], queries[b]
        seqs = jnp.stack([x.at[t].set(q[k]) for t in range(1, n) for k in range(T)])
        feats = probe.features(params, seqs, jnp.broadcast_to(y, seqs.shape[:2]))[1]
        feats = feats.reshape(feats.shape[0], n - 1, T, n, -1)
        at_t = jnp.stack([feats[:, i, :, i + 1] for i in range(n - 1)], axis=1)   # [L, n−1, T, H]
        preds = jnp.einsum("ltkh,lh->ltk", at_t, jnp.asarray(u)) + jnp.asarray(v)[:, None, None]
        np.testing.assert_allclose(got[:, b], probes.induced_weights(q, preds), rtol=1e-4, atol=1e-5)
