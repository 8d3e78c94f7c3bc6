"""The deep-optimizers probe stage (ours): its claims' tests on synthetic heatmaps (where they must
hold, fail, or are not evaluable), the probe of the hand-built GD-on-ReLU-net construction recovering
its own algorithm and step count, and an untrained network's heatmap showing no progression."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx import models, probes
from iclx.algorithms import relu_gd
from iclx.engine import rng
from iclx.experiments.deep_optimizers import claims_probe, probe, probe_candidates
from iclx.models import constructions_relu_gd
from iclx.tasks import relu_net
from tests.experiments.test_deep_optimizers import _fake

STEPS = np.array([0.0, 1.0, 2.0, 4.0])


def _heat(best_rows, seeds=3, rows=4, top=0.9, rest=0.2):
    """Heatmaps ``[S, rows, L]`` whose column ℓ peaks at row ``best_rows[ℓ]`` (± jitter over seeds)."""
    heat = np.full((seeds, rows, len(best_rows)), rest)
    for layer, row in enumerate(best_rows):
        heat[:, row, layer] = top
    return heat + np.linspace(0, 0.01, seeds)[:, None, None]


def _arrays(tf_gd, init_gd, tf_ridge=None, init_ridge=None, **fake):
    cfg, scalars, arrays = _fake(**fake)
    arrays["probe/grid/relu_gd"] = STEPS
    for a in cfg.study.attentions:
        for net, gd, ridge in (("tf", tf_gd, tf_ridge), ("init", init_gd, init_ridge)):
            arrays[f"probe/{net}/{a}/N3/sime_relu_gd"] = gd
            arrays[f"probe/{net}/{a}/N3/sime_ridge"] = gd * 0.5 if ridge is None else ridge
    return cfg, scalars, arrays


def test_gd_step_grows_with_layer_holds_on_a_rising_best_step():
    cfg, s, a = _arrays(_heat([1, 3]), _heat([2, 2]))
    measured = claims_probe.gd_step_grows(cfg, s, a)
    assert measured.verdict == "holds" and measured.value == pytest.approx(np.log2(5) - 1)
    assert measured.control.label == claims_probe.UNTRAINED
    assert measured.control.measured.verdict == "fails"          # a flat best step: growth 0


def test_gd_step_grows_with_layer_fails_on_a_falling_best_step():
    cfg, s, a = _arrays(_heat([3, 0]), _heat([3, 0]))
    measured = claims_probe.gd_step_grows(cfg, s, a)
    assert measured.verdict == "fails" and measured.value < 0


def test_gd_step_grows_with_layer_not_evaluable_when_the_models_have_not_learned():
    cfg, s, a = _arrays(_heat([1, 3]), _heat([2, 2]), soft=0.45, relu=0.45)
    with pytest.raises(claims_probe.NotEvaluable) as reason:
        claims_probe.gd_step_grows(cfg, s, a)
    assert "has not learned" in str(reason.value) and reason.value.control is not None


def test_closer_to_relu_gd_than_ridge_holds_on_a_model_that_matches_gd_best():
    ridge = _heat([0, 0], rows=5, top=0.6)
    cfg, s, a = _arrays(_heat([1, 3]), _heat([1, 3], top=0.4), tf_ridge=ridge, init_ridge=ridge)
    measured = claims_probe.closer_to_relu_gd(cfg, s, a)
    assert measured.verdict == "holds" and measured.value == pytest.approx(0.3)
    assert measured.control.measured.verdict == "fails"


def test_closer_to_relu_gd_than_ridge_fails_on_a_model_that_matches_ridge_best():
    ridge = _heat([0, 0], rows=5, top=0.95)
    cfg, s, a = _arrays(_heat([1, 3]), _heat([1, 3]), tf_ridge=ridge, init_ridge=ridge)
    assert claims_probe.closer_to_relu_gd(cfg, s, a).verdict == "fails"


# ------------------------------------------------------------------ the construction, probed


def _construction_readouts(widths, steps, eta, w0, xs, ys):
    """The construction's read-out after each GD block l = 0..steps at every position t ≥ 1 of each
    prompt (examples 0..t−1, query x_t): f(w⁽ˡ⁾ stored in the query token, x_t). ``xs [B, n, d]``,
    ``ys [B, n]`` → ``[steps + 1, B, n]`` (one compiled program per prefix length)."""
    layout, layers = constructions_relu_gd.gd_layers(widths, 1, eta)
    block = layers[: 3 * (len(widths) - 1)]                                   # one GD step

    @jax.jit
    @jax.vmap
    def at_prefix(x_prefix, y_prefix, query):                                  # → [steps + 1]
        h, out = constructions_relu_gd.embed(layout, x_prefix, y_prefix, w0), []
        for _ in range(steps + 1):
            out.append(relu_net.forward(constructions_relu_gd.read_weights(layout, h[-1]), query))
            h = constructions_relu_gd.forward(block, h, y_prefix.shape[0])
        return jnp.stack(out)

    out = np.zeros((steps + 1, *ys.shape))
    out[:, :, 0] = jax.vmap(lambda x: relu_net.forward(w0, x))(xs[:, 0])
    for t in range(1, xs.shape[1]):
        out[:, :, t] = np.asarray(at_prefix(xs[:, : t + 1], ys[:, :t], xs[:, t])).T
    return out


def test_the_probe_of_the_construction_recovers_its_algorithm_and_step_count(x64):
    """Read out after each of its GD blocks, the construction matches GD on the ReLU network at
    exactly that step count (SimE 1, the first best match on the candidates' grid, inside its tie
    band: later steps barely turn the residuals, so SimE rounds alike there) and matches GD better than any ridge penalty, kernel bandwidth or 1-NN."""
    widths, n, eta, blocks, prompts = (3, 3, 2, 1), 8, 0.3, 3, 4
    task = relu_net.ReluNetTask(n_dims=3, n_points=n, depth=3, width=3)
    batch = task.sample_batch(jax.random.key(0), prompts)
    xs, ys = np.asarray(batch.xs, np.float64) + 1.0, np.asarray(batch.ys, np.float64)
    w0 = relu_net.he_init(jax.random.key(1), widths)
    layer_preds = _construction_readouts(widths, blocks, eta, w0, xs, ys)                 # [blocks+1, B, n]
    grid = (0, 1, 2, 3, 4, 5)
    gd = np.stack([relu_gd.gd_step_predictions(w0, x, y, grid, eta) for x, y in zip(xs, ys)], axis=1)
    heat = np.asarray(probes.similarity_of_errors(gd, layer_preds, ys, first_position=1))
    match = probes.best_steps(heat[None], np.asarray(grid))
    np.testing.assert_array_equal(match["best"][0], np.arange(blocks + 1))
    assert np.all(match["low"][0] <= np.arange(blocks + 1)) and np.all(np.arange(blocks + 1) <= match["high"][0])
    np.testing.assert_allclose(match["score"][0], 1.0, atol=1e-9)
    others = {"ridge": probe_candidates.ridge_intercept(xs, ys, (10.0, 1.0, 0.1, 0.001)),
              "kernel": probe_candidates.kernel_regression(xs, ys, (3.0, 1.0, 0.3)),
              "nn1": np.asarray(probe_candidates._nn1(xs, ys))[None]}
    for name, preds in others.items():
        other = np.asarray(probes.similarity_of_errors(preds, layer_preds, ys, first_position=1))
        assert np.all(other[:, 1:].max(axis=0) < heat[:, 1:].max(axis=0) - 0.05), name


# ------------------------------------------------------------------ the control: a random network


def test_the_heatmap_of_an_untrained_network_has_no_progression():
    """The negative control: an initialised GPT-2 (4 layers, 3 seeds), probed like the trained
    models against GD on the ReLU network, gives a best-matching step that does not grow with the
    layer (the growth test does not hold)."""
    cfg = probe.probe_config("smoke")
    cfg.update(n_batches=2, batch_size=32, n_prompts=64, gd_steps=(0, 1, 2, 4, 8, 16))
    task = relu_net.ReluNetTask(n_dims=3, n_points=9, depth=3, width=8)
    mcfg = models.gpt2.default_config(n_layer=4, n_head=2, n_embd=16, n_positions=18, attention="softmax")
    net = models.build(mcfg, 3)
    network = probes.NetworkProbe(net, task, n_batches=cfg.n_batches, batch_size=cfg.batch_size,
                                  ridge=cfg.ridge, anchor=cfg.anchor, predict_batch=cfg.n_prompts,
                                  induced_batch=1)
    prompt = task.sample_batch(jax.random.key(7), cfg.n_prompts)
    xs, ys = np.asarray(prompt.xs), np.asarray(prompt.ys)
    gd = {"relu_gd": probe_candidates.predictions(cfg, task, xs, ys, 0)["relu_gd"]}
    heats = []
    for seed in range(3):
        key = rng.seed_keys(seed, [0])[0]
        params = net.init(rng.stream(key, "init"), jnp.asarray(xs[:1]), jnp.asarray(ys[:1]))["params"]
        heats.append(probe.layer_sime(config_with(cfg), network, params, key, xs, ys, gd)["relu_gd"])
    growth = claims_probe.step_growth(np.stack(heats), np.asarray(cfg.gd_steps, np.float64))
    verdict = claims_probe.GROWTH.verdict(claims_probe.estimate(np.mean, growth))
    assert verdict != "holds", (growth, verdict)


def config_with(probe_cfg):
    """A config whose ``probe`` group is ``probe_cfg`` (what ``probe.layer_sime`` reads)."""
    from iclx import config
    return config.ConfigDict({"probe": probe_cfg.to_dict()})
