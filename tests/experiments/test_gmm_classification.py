"""Gaussian-mixture in-context classification (arXiv 2410.11778): the one-layer model's gradient and
Hessian, the embedding identity, the generator's statistics, W* → cΛ⁻¹, GD's linear rate, baselines,
and the paper preset for two training steps."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from iclx import engine, problems
from iclx.algorithms import classification
from iclx.experiments.gmm_classification import config as gmm_config, run as gmm_run, solvers
from iclx.models import linear_attention
from iclx.tasks.gmm import GMMTask
from iclx.theory import gmm as gmm_theory

# the package exports the function ``run``, which shadows the module of that name
TASK = GMMTask(n_dims=3, n_points=20, n_classes=3)


def _bank(task, N, B=256, Q=4, seed=0):
    """One compiled draw (eager op-by-op dispatch costs more compile time than the draw)."""
    draw = jax.jit(task.statistics_batch, static_argnums=(1, 2, 3))
    return draw(jax.random.key(seed), B, N, Q)


def test_gradient_hessian_match_autodiff_and_finite_differences(x64):
    b = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64) if a.dtype == jnp.float32 else a,
                     _bank(TASK, 10, B=64))
    W = jax.random.normal(jax.random.key(1), (3, 3), jnp.float64) * 0.5
    loss = jax.jit(lambda w: linear_attention.cross_entropy(w.reshape(3, 3), b.stat, b.xq, b.probs))
    g, H = jax.jit(lambda w: linear_attention.grad_and_hessian(w, b.stat, b.xq, b.probs, chunk=16))(W)
    np.testing.assert_allclose(g.reshape(-1), jax.jit(jax.grad(loss))(W.reshape(-1)), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(H, jax.jit(jax.hessian(loss))(W.reshape(-1)), rtol=1e-9, atol=1e-12)
    eps, E = 1e-6, jnp.zeros(9).at[4].set(1.0)
    fd = (loss(W.reshape(-1) + eps * E) - loss(W.reshape(-1) - eps * E)) / (2 * eps)
    np.testing.assert_allclose(fd, g.reshape(-1)[4], rtol=1e-6)


def test_literal_layer_equals_statistic_form_and_binary_is_sigmoid(x64):
    @jax.jit
    def forms(key):
        """(literal layer, statistic form, prefix form; binary softmax, its sigmoid form)."""
        p = TASK.sample_tokens(jax.random.fold_in(key, 2), 7)
        onehot = jax.nn.one_hot(p.labels, 3, dtype=jnp.float64)
        xs, xq = p.xs[:6].astype(jnp.float64), p.xs[6].astype(jnp.float64)
        W = jax.random.normal(jax.random.fold_in(key, 3), (3, 3), jnp.float64)
        out = linear_attention.layer(W, linear_attention.embedding(xs, onehot[:6], xq), 3)[3:, -1]
        stat_form = linear_attention.logits(W, linear_attention.statistic(xs, onehot[:6]), xq[None])[0]
        pre = linear_attention.prefix_logits(W, p.xs.astype(jnp.float64), onehot)[6]
        # c = 2: softmax of the two logits is σ(b̄ᵀ W x_q) with ±1 labels
        two = GMMTask(3, 7, 2).sample_tokens(jax.random.fold_in(key, 4), 7)
        oh = jax.nn.one_hot(two.labels, 2, dtype=jnp.float64)
        xs2 = two.xs.astype(jnp.float64)
        soft = jax.nn.softmax(linear_attention.logits(W, linear_attention.statistic(xs2[:6], oh[:6]), xs2[6][None])[0])[1]
        bbar = jnp.mean(two.ys[:6, None] * xs2[:6], axis=0)
        return out, stat_form, pre, soft, jax.nn.sigmoid(bbar @ W @ xs2[6])

    out, stat_form, pre, soft, sigmoid = forms(jax.random.key(2))
    np.testing.assert_allclose(out, stat_form, rtol=1e-12)
    np.testing.assert_allclose(pre, out, rtol=1e-12)
    np.testing.assert_allclose(soft, sigmoid, rtol=1e-12)


def test_generator_class_statistics():
    task = GMMTask(n_dims=4, n_points=4000, n_classes=2)
    p = jax.jit(task.sample_tokens, static_argnums=1)(jax.random.key(5), 4000)
    assert abs(float(jnp.mean(p.labels)) - 0.5) < 0.03
    assert set(np.unique(np.asarray(p.ys))) == {-1.0, 1.0}
    lam = np.asarray(task.cov_diag())
    for k in range(2):
        xk = np.asarray(p.xs)[np.asarray(p.labels) == k]
        np.testing.assert_allclose(xk.mean(0), np.asarray(p.means[k]), atol=0.12)
        np.testing.assert_allclose(xk.var(0), lam, rtol=0.12)
    # equal Λ⁻¹-norms: r for every mean
    np.testing.assert_allclose(np.sum(np.asarray(p.means) ** 2 / lam, -1), task.radius ** 2, rtol=1e-5)
    # the exact statistic sampler has the token-level statistic's law (mean and variance, fixed means)
    means = p.means
    N, B = 12, 20000
    keys = jax.random.split(jax.random.key(6), B)
    fast = jax.jit(jax.vmap(lambda k: task.sample_statistic(k, N, means)))(keys)
    def slow(k):
        k1, k2 = jax.random.split(k)
        lab = jax.random.randint(k1, (N,), 0, 2)
        xs = means[lab] + jnp.sqrt(task.cov_diag()) * jax.random.normal(k2, (N, 4))
        return linear_attention.statistic(xs, jax.nn.one_hot(lab, 2))
    ref = jax.jit(jax.vmap(slow))(jax.random.split(jax.random.key(7), B))
    np.testing.assert_allclose(fast.mean(0), ref.mean(0), atol=0.03)
    np.testing.assert_allclose(fast.var(0), ref.var(0), rtol=0.1, atol=2e-3)


@pytest.fixture(scope="module")
def minimizers():
    """W*_N (float64 Newton) for binary d = 3 at N ∈ {40, 640} and at N = ∞ (S = rows μ_k/2)."""
    task = GMMTask(n_dims=3, n_points=10, n_classes=2)
    with jax.enable_x64(True):
        out = {}
        for N in (40, 640, None):
            b = _bank(task, N or 1, B=2048, Q=8, seed=8)
            stat = b.means / 2 if N is None else b.stat
            s, x, t = (jnp.asarray(np.asarray(a, np.float64)) for a in (stat, b.xq, b.probs))
            out[N] = np.asarray(solvers.newton64(s, x, t, jnp.zeros((3, 3))))
    return task, out


def test_minimizer_tends_to_2_inverse_lambda(minimizers):
    task, W = minimizers
    inv = np.diag(1.0 / np.asarray(task.cov_diag(), np.float64))
    np.testing.assert_allclose(W[None], 2 * inv, atol=1e-8)        # N = ∞: exactly 2Λ⁻¹
    g40, g640 = (float(gmm_theory.correction_max(jnp.asarray(W[N]), task.cov_diag(), 2)) for N in (40, 640))
    assert g640 < g40 / 16 ** 0.8          # O(1/N): log-log slope ≤ −0.8 over a factor 16 in N


def _integrated_case(c: int, B: int = 3):
    """A float64 bank of B prompts (d = 3, N = 10) and a W near cΛ⁻¹/2 (logit spreads ≲ 1.5)."""
    task = GMMTask(n_dims=3, n_points=10, n_classes=c)
    draw = jax.jit(task.statistics_bank, static_argnums=(1, 3, 4))
    stat, means = draw(jax.random.key(c), B, 10.0, 10, False)
    W = 0.5 * c * jnp.diag(1 / task.cov_diag()) + 0.2 * jax.random.normal(jax.random.key(1), (3, 3))
    return task, stat, means, W


def _full_quadrature(W, stat, means, lam, order: int):
    """(loss, ∇, H) by autodiff of the cross-entropy on a full 3-D product Gauss–Hermite rule over
    x_q | k ~ N(μ_k, Λ) for every class k: no change of basis, no pseudo-queries."""
    z, w = gmm_theory.gauss_hermite(order, 3)
    x = means[:, :, None, :] + jnp.sqrt(lam) * z                      # [B, k, J, d]
    c = stat.shape[1]

    def loss(flat):
        logp = jax.nn.log_softmax(jnp.einsum("bad,de,bkje->bkja", stat, flat.reshape(3, 3), x), -1)
        return -jnp.mean(jnp.einsum("j,bkjk->b", w, logp)) / c

    f = W.reshape(-1)
    return loss(f), jax.grad(loss)(f), jax.hessian(loss)(f)


def test_integrated_loss_equals_full_quadrature(x64):
    """The query integral with pseudo-queries in the logits' span and the orthogonal part in closed
    form (c − 1 = 2 dimensions) equals autodiff on a full d = 3 dimensional quadrature."""
    task, stat, means, W = _integrated_case(3, B=2)
    nodes, weights = gmm_theory.gauss_hermite(40, 2)
    loss, g, H = jax.jit(gmm_theory.integrated_grad_and_hessian)(W, stat, means, task.cov_diag(),
                                                                 nodes, weights)
    ref = jax.jit(_full_quadrature, static_argnums=4)(W, stat, means, task.cov_diag(), 24)
    np.testing.assert_allclose(loss, ref[0], rtol=1e-9)
    np.testing.assert_allclose(g.reshape(-1), ref[1], atol=1e-8 * float(jnp.abs(ref[1]).max()))
    np.testing.assert_allclose(H, ref[2], atol=1e-8 * float(jnp.abs(ref[2]).max()))


@pytest.mark.slow
@pytest.mark.parametrize("c", [2, 3])
def test_integrated_gradient_hessian_match_monte_carlo(x64, c):
    """Against the bank estimator with 2^14 random queries per prompt (soft targets p*(x_q)):
    every entry of ∇ and H within 5 Monte-Carlo standard errors."""
    task, stat, means, W = _integrated_case(c)
    nodes, weights = gmm_theory.gauss_hermite(48, c - 1)
    _, g, H = jax.jit(gmm_theory.integrated_grad_and_hessian)(W, stat, means, task.cov_diag(), nodes,
                                                              weights)

    @jax.jit
    def per_query(key):
        k_lab, k_x = jax.random.split(key)
        labels = jax.random.randint(k_lab, (stat.shape[0], 1 << 14), 0, c)
        xq = jnp.take_along_axis(means, labels[..., None], 1) + jnp.sqrt(task.cov_diag()) * \
            jax.random.normal(k_x, labels.shape + (3,))
        p = jax.nn.softmax(linear_attention.logits(W, stat, xq), -1)
        resid = p - jax.vmap(task.posterior)(xq, means)
        phi = jnp.einsum("bkd,bqe->bqkde", stat, xq).reshape(*p.shape, 9)
        grads = jnp.einsum("bqk,bqkf->bqf", resid, phi).reshape(-1, 9)
        mean_phi = jnp.einsum("bqk,bqkf->bqf", p, phi)
        hess = (jnp.einsum("bqk,bqkf,bqkg->bqfg", p, phi, phi)
                - jnp.einsum("bqf,bqg->bqfg", mean_phi, mean_phi)).reshape(-1, 81)
        return [(a.mean(0), a.std(0) / np.sqrt(a.shape[0])) for a in (grads, hess)]

    (g_mc, g_se), (h_mc, h_se) = per_query(jax.random.key(7))
    assert np.all(np.abs(g.reshape(-1) - g_mc) <= 5 * g_se + 1e-12)
    assert np.all(np.abs(H.reshape(-1) - h_mc) <= 5 * h_se + 1e-12)


@pytest.mark.parametrize("c", [2, pytest.param(3, marks=pytest.mark.slow)])
def test_integrated_minimizer_limit_and_1_over_N(x64, c):
    """W*_N of one antithetic bank (d = 3, the query integrated out): at N = ∞ (S = rows μ_k/c)
    exactly cΛ⁻¹ up to the quadrature (order 32: less than 1e-3 of ‖G‖_max at N = 640), and ‖G‖_max
    falls by ≥ 16^0.8 from N = 40 to N = 640 (the bank shared by every N)."""
    task = GMMTask(n_dims=3, n_points=10, n_classes=c)
    key = jax.random.key(8)
    G = [gmm_theory.correction_max(jnp.asarray(solvers.integrated_reference(
        task, key, N, 64, 640, 32, 12)[0]), task.cov_diag(), c) for N in (40, 640)]
    _, means = solvers.bank64(task, key, 40.0, 64, 640)
    nodes, weights = gmm_theory.gauss_hermite(32, c - 1)
    W_inf, last = gmm_theory.integrated_minimizer(means / c, means, task.cov_diag(), nodes, weights,
                                                  jnp.zeros((3, 3)))
    assert float(last) <= 1e-8
    assert float(gmm_theory.correction_max(W_inf, task.cov_diag(), c)) < 1e-3 * G[1]
    assert G[1] < G[0] / 16 ** 0.8


def test_gd_converges_linearly_to_W_star(x64):
    cfg = gmm_config.get_config("smoke")
    cfg.loss.bank, cfg.train.batch_size = 256, 256
    task = GMMTask(n_dims=3, n_points=20, n_classes=2)
    problem = gmm_run.bank_problem(cfg, task, 20)
    key = jax.random.key(0)
    ref = solvers.reference(jax.jit(problem.fixed_data), key, {"N": 20.0})
    assert ref["mu0"] >= ref["mu"] and ref["L0"] >= ref["L"]   # σ' ≤ σ'(0): the rate control's premise
    lr = 1.0 / max(ref["L0"], ref["L"])
    predicted = gmm_theory.gd_contraction(lr, ref["mu"], ref["L"])
    steps = int(np.log(1e-7) / np.log(predicted)) + 1          # the theory's steps to 1e-7
    assert steps < 3000
    problem = dataclasses.replace(problem, optimizer=lambda hp: optax.sgd(lr))
    state, metrics = jax.jit(engine.make_train(problem, steps))(key, {"N": jnp.float64(20.0)})
    dist = np.asarray(metrics["dist"])
    assert dist[-1] < 1e-6
    rate, r2 = gmm_theory.measured_rate(dist, np.arange(1, steps + 1), 1e-1, 1e-8)
    assert r2 > 0.995
    assert abs(np.log(rate) / np.log(predicted) - 1) < 0.25
    np.testing.assert_allclose(state.params["W"], ref["W"], rtol=1e-5, atol=1e-6)


def test_baselines_bayes_limit_and_masks():
    task = GMMTask(n_dims=3, n_points=401, n_classes=2)
    p = jax.jit(task.sample_batch, static_argnums=1)(jax.random.key(9), 64)
    oh = jax.nn.one_hot(p.labels, 2)
    xq = p.xs[:, -1]
    prec = jnp.diag(1.0 / task.cov_diag())
    lda = jax.jit(classification.batched(classification.lda_known, prec))(p.xs[:, :400], oh[:, :400], xq)
    assert float(classification.total_variation(lda, p.probs[:, -1]).mean()) < 0.05
    bayes = jax.jit(jax.vmap(lambda x, m: classification.bayes(x, m, task.cov_diag())))(xq, p.means)
    np.testing.assert_allclose(bayes, p.probs[:, -1], rtol=1e-5)
    mask = (jnp.arange(400) < 30).astype(jnp.float32)
    for fn in (classification.batched(classification.lda_known, prec), classification.batched(classification.lda_estimated, 0.1),
               classification.batched(classification.logistic, 20, 1.5, 0.01), classification.batched(classification.knn, 5),
               classification.batched(classification.knn, 1), classification.batched(classification.label_frequencies)):
        fn = jax.jit(fn)
        np.testing.assert_allclose(fn(p.xs[:, :400], oh[:, :400], xq, mask),
                                   fn(p.xs[:, :30], oh[:, :30], xq), rtol=1e-4, atol=1e-5)


def test_label_averaging_is_the_prompt_label_frequencies():
    onehot = jax.nn.one_hot(jnp.array([0, 1, 1, 1, 0]), 2)
    xs, xq = jnp.zeros((5, 3)), jnp.ones(3)
    np.testing.assert_allclose(classification.label_frequencies(xs, onehot, xq), [0.4, 0.6])
    mask = jnp.array([1.0, 0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(classification.label_frequencies(xs, onehot, xq, mask), [1 / 3, 2 / 3],
                               rtol=1e-6)
    np.testing.assert_allclose(classification.label_frequencies(xs, onehot, xq, 0 * mask), [0.5, 0.5])


@pytest.mark.slow
def test_paper_preset_validates_and_trains_two_steps():
    """The paper preset (bank shrunk to 256 prompts and GPT-2 batch to 4 to fit a CPU test)."""
    cfg = gmm_config.get_config("paper")
    cfg.preset = "paper"
    gmm_config.validate(cfg)
    cfg.loss.bank = cfg.train.batch_size = 256
    task = gmm_run.task_of(cfg)
    problem = gmm_run.bank_problem(cfg, task, 100)
    _, metrics = jax.jit(engine.make_train(problem, 2))(jax.random.key(0), {"N": jnp.float32(100.0),
                                                                            "lr": jnp.float32(1.0)})
    assert np.all(np.isfinite(metrics["loss"])) and metrics["loss"][1] < metrics["loss"][0]
    cfg.gpt2_train.batch_size = 4
    tok = GMMTask(task.n_dims, task.n_points + 1, 2)
    gp = problems.prompt_problem(tok, cfg.model, cfg.gpt2_train, cfg.curriculum, loss="logistic")
    _, m = jax.jit(engine.make_train(gp, 2))(jax.random.key(0), {})
    assert np.all(np.isfinite(m["loss"]))
