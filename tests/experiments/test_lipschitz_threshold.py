"""The Lipschitz-threshold experiment: vmapped sweep lanes vs separate runs, the scaling identity of
amplitude-scaled tasks, the exact-in-f loss vs token simulation, the theory's closed forms vs GD,
and the smoke run's results (the registry test checks its figures)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx import config, engine
from iclx.engine import results, rng
from iclx.experiments.lipschitz_threshold import EXPERIMENT, config as lipschitz_config, run as lipschitz_run
from iclx.experiments.lipschitz_threshold import task as lipschitz_task
from iclx.models import attention
from iclx.tasks import lipschitz as lip
from iclx.theory import lipschitz as lipschitz_theory


@pytest.fixture(scope="module")
def cfg():
    return EXPERIMENT.config("smoke")


def _run_lanes(problem, points, steps, seeds=1):
    lanes = engine.point_lanes(points, seeds, lipschitz_task.HP_KEYS)
    state, metrics = jax.jit(jax.vmap(engine.make_train(problem, steps)))(lanes.keys(0),
                                                                          lanes.device_hparams())
    return lanes, state, metrics


# GD at (η, L) and at (ηL², 1): equal for amplitude scaling (f = L g), not for dilation (f = g(Lx))
SCALING_POINTS = [{"L": 3.0, "alpha": 1.0, "lr": 0.5}, {"L": 1.0, "alpha": 1.0, "lr": 4.5},
                  {"L": 3.0, "alpha": 0.0, "lr": 0.5}, {"L": 1.0, "alpha": 0.0, "lr": 4.5}]


def _assert_amplitude_scaling_only_rescales_the_loss(metrics, state, stride=1, nonlinear=True):
    """The spec's scaling remark: for f = L g the attention never sees the labels, so GD at (η, L)
    equals GD at (ηL², 1) with the loss × L²; a dilated nonlinear family breaks it (for a linear
    family dilation and amplitude scaling coincide)."""
    loss, Q = np.asarray(metrics["loss"]), np.asarray(state.params["Q"])
    a, b, c, d = (i * stride for i in range(4))
    np.testing.assert_allclose(loss[a], 9.0 * loss[b], rtol=1e-4)
    np.testing.assert_allclose(Q[a], Q[b], rtol=1e-3, atol=1e-6)
    assert np.abs(Q[a]).max() > 0.1
    dilation_scales = np.allclose(loss[c], 9.0 * loss[d], rtol=1e-2)
    assert dilation_scales != nonlinear


def test_vmapped_sweep_equals_separate_runs(cfg):
    """L values × seeds × step sizes in one jit(vmap) program = each lane trained alone (the smoke
    preset's linear family)."""
    problem = lipschitz_task.build_problem(cfg, cfg.sweep.train)
    points = [{**p, "rho": 0.0} for p in SCALING_POINTS]
    lanes, state, metrics = _run_lanes(problem, points, 12, seeds=2)
    single = jax.jit(engine.make_train(problem, 12))
    keys, hps = lanes.keys(0), lanes.device_hparams()
    for lane in range(len(lanes)):
        state_s, metrics_s = single(keys[lane], {k: v[lane] for k, v in hps.items()})
        np.testing.assert_allclose(metrics["loss"][lane], metrics_s["loss"], rtol=1e-5)
        np.testing.assert_allclose(metrics["attn_target"][lane], metrics_s["attn_target"], rtol=1e-5)
        np.testing.assert_allclose(state.params["Q"][lane], state_s.params["Q"], rtol=1e-4,
                                   atol=1e-6)
    assert not np.allclose(metrics["loss"][0], metrics["loss"][1])      # seeds differ (count banks)
    _assert_amplitude_scaling_only_rescales_the_loss(metrics, state, stride=2, nonlinear=False)


def test_amplitude_scaling_holds_with_token_noise_and_correlated_features():
    cfg = EXPERIMENT.config("smoke", [("loss.mode", "tokens"), ("task.noise_std", "0.2"),
                                      ("task.features", "equicorrelated"),
                                      ("task.family", "sine"), ("task.frequency", "3.0")])
    points = [{**p, "rho": 0.3} for p in SCALING_POINTS]
    _, state, metrics = _run_lanes(lipschitz_task.build_problem(cfg, cfg.sweep.train), points, 15)
    _assert_amplitude_scaling_only_rescales_the_loss(metrics, state)


def test_exact_feature_loss_matches_token_simulation(cfg):
    task = dataclasses.replace(lipschitz_task.task_of(cfg), family="linear")
    q = 1.5 * jnp.eye(task.n_dims) - 0.3

    @jax.jit
    def both(key):
        fixed = {"features": task.feature_matrix(), "cov": task.label_covariance(key, 1, 2.0),
                 "counts": task.sample_counts(rng.stream(key, "counts"), 4096)}
        exact, _ = attention.features_loss(q, fixed["features"], fixed["cov"], fixed["counts"])
        p = task.sample_batch(rng.stream(key, "prompts"), 16384, 2.0, 1.0)
        simulated = attention.tokens_loss(q, p.xs, p.ys, p.x_query, p.y_query, p.features,
                                          p.query_feature, task.n_features)[0]
        return exact, simulated

    exact, simulated = both(jax.random.key(0))
    np.testing.assert_allclose(exact, simulated, rtol=0.04)


def test_theory_time_to_eps_matches_gd_on_the_balanced_loss(x64):
    K, N, sigma2 = 4, 40, 0.5
    V, cov = jnp.eye(K), sigma2 * jnp.eye(K)
    z = np.array([0.0, 1.0, 3.0])
    path = jax.vmap(lambda zi: lipschitz_theory.balanced_loss(zi * V, V, cov, N))(z)
    np.testing.assert_allclose(path, lipschitz_theory.path_loss(z, sigma2, K), rtol=1e-10)

    eta, steps = 2.0, 3000
    grad = jax.grad(lambda q: lipschitz_theory.balanced_loss(q, V, cov, N))
    losses = jax.jit(lambda: jax.lax.scan(
        lambda q, _: (q - eta * grad(q), lipschitz_theory.balanced_loss(q, V, cov, N)), jnp.zeros((K, K)), None,
        length=steps)[1])()
    rel = np.asarray(losses) / float(losses[0])
    for eps in (1e-1, 1e-2, 1e-3):
        measured = int(np.argmax(rel <= eps))
        predicted = float(lipschitz_theory.time_to_eps(eps, sigma2, eta, K, relative=True))
        assert measured == pytest.approx(predicted, rel=0.03, abs=2)
    # phase 1 ends when the target attention reaches ½: e^z = K − 1, i.e. ℓ/ℓ(0) = (K / (2K − 2))²
    phase1 = int(np.argmax(rel <= (K / (2 * K - 2)) ** 2))
    assert phase1 == pytest.approx(float(lipschitz_theory.phase1_time(sigma2, eta, K)), rel=0.1, abs=2)


def test_threshold_of_an_amplitude_family_and_the_step_rule():
    L = np.geomspace(0.1, 100, 13)
    beta1, eta_flat = 0.004, 2.0
    L_star = lipschitz_theory.threshold(L, beta1 * L ** 2, eta_flat)
    np.testing.assert_allclose(L_star, 1 / np.sqrt(eta_flat * beta1), rtol=1e-9)
    eta = lipschitz_theory.step_size(beta1 * L ** 2, eta_flat)
    np.testing.assert_allclose(eta[L < L_star], eta_flat)
    np.testing.assert_allclose(eta[L > L_star] * beta1 * L[L > L_star] ** 2, 1.0)
    assert np.isnan(lipschitz_theory.threshold(L, np.full_like(L, 0.1), eta_flat))


def test_time_above_counts_steps_exactly_whatever_the_logging():
    per_step = np.array([[5, 4, 3, 2, 1, 0.5, 0.2, 0.1]]).T              # one lane, 8 steps
    for log_every in (1, 2, 4):
        windows = (per_step > 1.5).reshape(-1, log_every, 1).mean(axis=1)
        metrics = {"step": np.arange(log_every, 9, log_every), "above": windows}
        assert lipschitz_run.time_above(metrics, "above")[0] == 4                     # first step ≤ 1.5 is 5th


def test_smoke_run_results(cfg, smoke_run):
    run = smoke_run("lipschitz_threshold")      # the session's shared smoke run
    assert run.code == 0
    scalars, arrays = results.load_results(run.run_dir)
    tag = lipschitz_task.table_tag("equicorrelated", "amplitude", 0.0)
    L_star = scalars["theory"][tag]["L_star"]
    assert 1 < L_star < 100 and any("L* =" in line for line in scalars["summary"])
    # the feature families: the ρ = 0 member is the sweep's table, L* = 1/√(η_flat β(1)) exactly
    rho, family_L = arrays["family/equicorrelated/rho"], arrays["family/equicorrelated/L_star"]
    np.testing.assert_allclose(family_L[rho == 0], L_star, rtol=1e-3)
    assert {"family/random/margin", "family/random/delta"} <= set(arrays)
    # dynamics: uniform attention at Q = 0, then the own feature wins in both regimes
    attn = arrays["dynamics/attn_target"]
    np.testing.assert_allclose(attn[0], 1 / cfg.task.n_features, atol=0.05)
    assert np.all(attn[-1] > 0.5) and np.all(arrays["dynamics/rel_loss"][-1] < 0.5)
    # the theory rule: η = η_flat below L*, η β(L) = 1 above
    # (the lanes' hyper-parameters come from their labels: the framework's one route, no arrays)
    sweep_lanes = scalars["lanes"]["sweep"]
    L, lr = (np.array([lane[k] for lane in sweep_lanes]) for k in ("L", "lr"))
    rule = np.array([lipschitz_config.RULES.index(lane["rule"]) for lane in sweep_lanes])
    theory = rule == 0
    np.testing.assert_allclose(lr[theory & (L < L_star)], cfg.theory.eta_flat)
    assert np.all(lr[theory & (L > L_star)] < cfg.theory.eta_flat)
    assert np.all(lr[rule == 1] == cfg.theory.eta_flat) and np.all(L[rule == 1] > L_star)
    assert not any("/lane_" in key for key in arrays)
    sharp = engine.select_lanes(scalars["lanes"]["dynamics"], regime="sharp")
    assert len(sharp) == cfg.seeds and all(scalars["lanes"]["dynamics"][i]["L"] > L_star for i in sharp)
    # generated README tables and every claim evaluated (a smoke run is never evidence)
    assert {"theory", "dynamics", "sweep", "attention_maps"} <= set(scalars["tables"])
    for table in scalars["tables"].values():
        assert all(len(row) == len(table["columns"]) for row in table["rows"])
    assert [c["id"] for c in scalars["claims"]] == [c.id for c in EXPERIMENT.claims]
    assert not any(c["applies"] for c in scalars["claims"])
    T_rel = arrays[f"sweep/T_rel_{cfg.sweep.eps_rel[0]:g}"]
    assert T_rel.shape == L.shape and np.all((T_rel >= 0) & (T_rel <= cfg.sweep.train.steps))


def test_a_sweep_only_run_leaves_the_dynamics_claims_not_evaluable(tmp_path):
    """``--config.stages=sweep``: no dynamics lanes, arrays or figures; the claims that need the
    dynamics stage say so; the sweep's claims and tables are computed as in a full run."""
    args = ["--preset=smoke", f"--out={tmp_path}", f"--figures={tmp_path / 'figures'}", "--no-progress",
            "--config.stages=sweep"]
    assert EXPERIMENT.main(args) == 0
    cfg = EXPERIMENT.config("smoke", [("stages", "sweep")])
    scalars, arrays = results.load_results(EXPERIMENT.run_dir(cfg, tmp_path))
    assert scalars["slice"]["stages"] == ["sweep"] and scalars["slice"]["left_out"] == ["dynamics"]
    assert list(scalars["lanes"]) == ["sweep"] and scalars["dynamics_points"] == []
    assert not any(key.startswith(("dynamics/", "maps/")) for key in arrays)
    assert set(scalars["tables"]) == {"theory", "sweep"}
    assert sorted(p.name for p in (tmp_path / "figures").glob("*.png")) == ["threshold_sweep.png"]
    rows = {row["id"]: row for row in scalars["claims"]}
    for claim in EXPERIMENT.claims:
        left_out = "dynamics" in claim.needs
        assert ("which this run left out" in rows[claim.id]["detail"]) == left_out, claim.id
        assert not left_out or rows[claim.id]["verdict"] == "not evaluable"
    assert {c.id for c in EXPERIMENT.claims if "sweep" in c.needs} == {"threshold-location", "time-bound"}


@pytest.mark.parametrize("overrides, field", [
    ([("task.noise_std", "0.1")], "loss.mode"),
    ([("task.rho", "0.2")], "task.rho"),
    ([("sweep.L_values", "0.001,2")], "sweep.L_values"),
    ([("sweep.scalings", "amplitude,log")], "sweep.scalings"),
    ([("sweep.train.optimizer", "adam")], "sweep.train.optimizer"),
    ([("task.features", "orthonormal"), ("sweep.rhos", "0,0.3")], "sweep.rhos"),
])
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(config.ConfigError) as error:
        EXPERIMENT.config("smoke", overrides)
    assert error.value.field == field


def test_presets_validate():
    for preset in ("smoke", "cpu", "paper"):
        cfg = EXPERIMENT.config(preset)
        assert cfg.task.name == "lipschitz_regression" and cfg.model.name == "one_layer_attention"
        assert lip.SCALINGS[cfg.task.scaling] in (0.0, 1.0)
        attention.validate_config(cfg, cfg.task.n_points)
