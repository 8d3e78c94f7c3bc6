"""Fu et al. 2023: a transformer trained on in-context linear regression matches Iterative Newton
layer by layer (linearly many Newton steps per layer), not gradient descent (exponentially many).

    python -m iclx.experiments.gd_vs_newton --preset=cpu            # make reproduce-fig-gd-vs-newton
    python -m iclx.experiments.gd_vs_newton --preset=cpu --config.task.covariance=two_level \\
        --config.task.kappa=100 --config.lstm.enabled=false          # ill-conditioned inputs (Figs 4, 16)
    python -m iclx.experiments.gd_vs_newton --preset=cpu --config.task.noise_std=0.1 \\
        --config.lstm.enabled=false                                  # noisy labels (Fig 19)
    python -m iclx.experiments.gd_vs_newton --preset=paper          # GPU: d=20, 12L/8H/256, 500k steps

What it does, per seed (seeds are trained together as vmapped lanes):
1. trains GPT-2 (stage "model") and, if ``lstm.enabled``, an LSTM (stage "lstm") on the task;
2. fits a linear read-out per layer on frozen hidden states (``iclx.probes``: closed-form ridge
   anchored at the final read-out, all layers in one batched solve);
3. compares every layer's predictions with Iterative Newton (steps 1..K), GD (a linear and a log₂
   grid of steps, η = 0.01, unnormalised gradient as in Fu et al.'s code), online GD and least squares:
   similarity of errors (SimE), similarity of induced weights (SimW), errors per position;
4. Table 1: SimE of the transformer's and the LSTM's outputs with Newton, GD and online GD (best step).

Figures: SimE / SimW heatmaps (layer × Newton steps, layer × GD steps on both grids), the best-match
curves (Newton steps vs layer: linear; GD steps vs layer: exponential), error vs examples per layer,
error vs depth / steps, and (with the LSTM) Fig. 5 and Table 1. Baselines run in float64
(``jax.enable_x64`` locally), the networks in float32.

Expected (cpu): best Newton step grows by a roughly constant amount per middle layer; best GD step
grows by a roughly constant factor; Newton's SimE exceeds GD's.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config as C
from iclx import experiment as E
from iclx import models, probes, rng
from iclx import train as T
from iclx.algorithms import regression as R
from iclx.experiments import linear_regression as LR
from iclx.models import gpt2, lstm
from iclx.tasks import linear

NAME = "gd_vs_newton"
TABLE_COLUMNS = ("newton", "gd", "online_gd")


# --------------------------------------------------------------------------- config


def get_config(preset: str = "cpu") -> C.ConfigDict:
    """Presets: ``smoke`` (seconds; tests), ``cpu`` (≤ 15 min on 2 cores), ``paper`` (Fu et al.)."""
    cfg = E.common_config(preset, NAME)
    if preset == "smoke":
        d, n, layers, heads, width, seeds = 4, 9, 2, 2, 32, 2
        train, lstm_model, lstm_train = LR.training_preset(preset, steps=20), \
            lstm.default_config(n_layer=2, hidden=16), LR.training_preset(preset, steps=20)
        probe = dict(n_batches=2, batch_size=64)
        sim = dict(n_prompts=64, batch_size=64, newton_max=8, gd_lin_step=10, gd_lin_max=50,
                   gd_log2_max=6)
        simw = dict(enabled=True, n_prompts=4, n_queries=2 * d, prompt_batch=4)
        examples = (2, 4, 8)
    elif preset == "cpu":
        # d = 5: Newton still needs ~15 iterations past n = d, so 8 layers can differ in how many
        # they run; width 32 (6.4 d, above the O(d) the construction needs) trains 2.5× faster on
        # 2 cores than width 64, which buys the 8000 steps that bring the error near least squares
        d, n, layers, heads, width, seeds = 5, 11, 8, 4, 32, 3
        train, lstm_model, lstm_train = LR.training_preset(preset), \
            lstm.default_config(n_layer=4, hidden=64), LR.training_preset(preset, steps=4000)
        probe = dict(n_batches=50, batch_size=256)
        sim = dict(n_prompts=512, batch_size=512, newton_max=20, gd_lin_step=25, gd_lin_max=1000,
                   gd_log2_max=14)
        simw = dict(enabled=True, n_prompts=128, n_queries=10 * d, prompt_batch=8)
        examples = (2, 4, 5, 6, 8, 10)
    else:  # paper: Fu et al. / Garg et al. scale
        d, n, layers, heads, width, seeds = 20, 41, 12, 8, 256, 5
        train, lstm_model, lstm_train = LR.training_preset(preset), \
            lstm.default_config(n_layer=10, hidden=256), LR.training_preset(preset)
        probe = dict(n_batches=2000, batch_size=64)
        sim = dict(n_prompts=2048, batch_size=256, newton_max=23, gd_lin_step=50, gd_lin_max=1300,
                   gd_log2_max=12)
        simw = dict(enabled=True, n_prompts=320, n_queries=200, prompt_batch=1)
        examples = (5, 10, 15, 20, 22, 25, 30, 35)
    cfg.seeds, cfg.train = seeds, train
    cfg.curriculum = LR.curriculum_preset(preset, d, n, interval=300)
    cfg.task = linear.default_config(d, n)
    cfg.model = gpt2.default_config(n_layer=layers, n_head=heads, n_embd=width, n_positions=2 * n)
    cfg.lstm = C.ConfigDict(dict(enabled=True, model=lstm_model, train=lstm_train))
    # probes: ridge = λ relative to the mean feature variance; anchor: "final" read-out or "zero"
    cfg.probe = C.ConfigDict(dict(ridge=1e-4, anchor="final", **probe))
    cfg.sim = C.ConfigDict(dict(gd_lr=0.01, first_position=0, decimals=3, newton_fixed=5, **sim))
    cfg.simw = C.ConfigDict(simw)
    cfg.errors = C.ConfigDict(dict(examples=examples))
    return cfg


ANCHORS = ("final", "zero")


def validate(cfg: C.ConfigDict) -> None:
    LR.validate_task(cfg)
    d, n = cfg.task.n_dims, cfg.task.n_points
    C.require(cfg.model.name == "gpt2", "model.name", "the probes read GPT-2 hidden states ('gpt2')")
    gpt2.validate_config(cfg, n)
    T.validate_config(cfg)
    if not isinstance(cfg.lstm.enabled, bool):
        raise C.ConfigError("lstm.enabled", f"must be true or false, got {cfg.lstm.enabled!r}")
    C.require(cfg.lstm.model.name == "lstm", "lstm.model.name", "must be 'lstm'")
    lstm.validate_config(cfg, n, prefix="lstm.model")
    T.validate_config(cfg, prefix="lstm.train")
    C.positive_int(cfg, "probe.n_batches")
    C.positive_int(cfg, "probe.batch_size")
    C.finite_float(cfg, "probe.ridge", low=0.0)
    C.one_of(cfg, "probe.anchor", ANCHORS)
    n_prompts = C.positive_int(cfg, "sim.n_prompts")
    batch = C.positive_int(cfg, "sim.batch_size")
    C.require(n_prompts % batch == 0, "sim.batch_size", f"{batch} must divide sim.n_prompts={n_prompts}")
    C.positive_int(cfg, "sim.newton_max")
    C.positive_int(cfg, "sim.newton_fixed")
    C.require(cfg.sim.newton_fixed <= cfg.sim.newton_max, "sim.newton_fixed",
              f"must be <= sim.newton_max={cfg.sim.newton_max}")
    C.finite_float(cfg, "sim.gd_lr", positive=True)
    step = C.positive_int(cfg, "sim.gd_lin_step")
    C.require(C.positive_int(cfg, "sim.gd_lin_max") >= step, "sim.gd_lin_max",
              f"must be >= sim.gd_lin_step={step}")
    C.nonnegative_int(cfg, "sim.gd_log2_max")
    first = C.nonnegative_int(cfg, "sim.first_position")
    C.require(first < n - 1, "sim.first_position", f"must be < task.n_points - 1 = {n - 1}")
    C.nonnegative_int(cfg, "sim.decimals")
    if not isinstance(cfg.simw.enabled, bool):
        raise C.ConfigError("simw.enabled", f"must be true or false, got {cfg.simw.enabled!r}")
    simw_prompts = C.positive_int(cfg, "simw.n_prompts")
    C.require(C.positive_int(cfg, "simw.n_queries") >= d, "simw.n_queries",
              f"needs at least task.n_dims={d} queries for a least-squares fit")
    simw_batch = C.positive_int(cfg, "simw.prompt_batch")
    C.require(simw_prompts % simw_batch == 0, "simw.prompt_batch",
              f"{simw_batch} must divide simw.n_prompts={simw_prompts}")
    examples = C.positive_int_list(cfg, "errors.examples", allow_empty=False)
    C.require(max(examples) < n, "errors.examples", f"every count must be < task.n_points={n}")


def step_grids(cfg: C.ConfigDict) -> dict[str, np.ndarray]:
    """The algorithm step grids: Newton 1..K, GD 1, s, 2s, …, max, GD 2⁰..2^m."""
    s = cfg.sim
    return {"newton": np.arange(1, s.newton_max + 1),
            "gd": np.array([1] + list(range(s.gd_lin_step, s.gd_lin_max + 1, s.gd_lin_step))),
            "gd_log": 2 ** np.arange(s.gd_log2_max + 1)}


def static_grids(cfg: C.ConfigDict) -> dict[str, tuple[int, ...]]:
    """``step_grids`` as tuples of ints (static arguments of the jitted baselines)."""
    return {k: tuple(int(s) for s in v) for k, v in step_grids(cfg).items()}


def sub_config(cfg: C.ConfigDict, model: C.ConfigDict, train: C.ConfigDict) -> C.ConfigDict:
    """The config ``linear_regression.build_problem`` reads, with another model and train group."""
    return C.ConfigDict(dict(task=cfg.task.to_dict(), curriculum=cfg.curriculum.to_dict(),
                             model=model.to_dict(), train=train.to_dict()))


# --------------------------------------------------------------------------- network read-outs


class NetworkProbe:
    """Probe fitting and read-outs of one network architecture, compiled once and reused per seed.

    ``net`` is a flax module with ``apply(params, xs, ys, return_hidden=True) -> (preds, Hidden)``.
    """

    def __init__(self, cfg: C.ConfigDict, net):
        self.cfg, self.net = cfg, net
        self.task = linear.LinearRegressionTask.from_config(cfg.task)
        self._statistics = jax.jit(self._statistics_impl)
        self._predict = jax.jit(self._predict_impl)
        self._induced = jax.jit(jax.vmap(self._induced_impl, in_axes=(None, None, None, 0, 0, 0),
                                         out_axes=1))

    def features(self, params, xs: jax.Array, ys: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The output ``[B, n]`` and the probe features ``[L, B, n, H]``."""
        preds, hidden = self.net.apply({"params": params}, xs, ys, return_hidden=True)
        return preds, probes.layer_features(hidden)

    def _statistics_impl(self, params, key: jax.Array) -> probes.ProbeStats:
        probe = self.cfg.probe

        def chunk(i):
            prompt = self.task.sample_batch(rng.stream(key, "probe", i), probe.batch_size)
            return probes.probe_stats(self.features(params, prompt.xs, prompt.ys)[1], prompt.ys)

        # one sampling site in the program (an ill-conditioned task draws a QR per prompt, and two
        # LAPACK call sites in one XLA:CPU program can deadlock on 2 cores): start from empty moments
        empty = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), jax.eval_shape(chunk, 0))
        body = lambda acc, i: (probes.merge_stats(acc, chunk(i)), None)
        stats, _ = jax.lax.scan(body, empty, jnp.arange(probe.n_batches))
        return stats

    def fit(self, params, seed_key: jax.Array) -> tuple[np.ndarray, np.ndarray]:
        """Per-layer ridge read-outs ``u [L, H]``, ``v [L]`` on ``probe.n_batches × probe.batch_size``
        fresh prompts (stream "probe"; full dimension and length, no curriculum), solved in float64."""
        stats = jax.device_get(self._statistics(params, seed_key))
        anchor = (np.asarray(params["read_out"]["kernel"])[:, 0]
                  if self.cfg.probe.anchor == "final" else None)
        with jax.enable_x64(True):
            stats64 = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), stats)
            u, v = probes.solve_probes(stats64, self.cfg.probe.ridge, anchor)
            return np.asarray(u, np.float32), np.asarray(v, np.float32)

    def _predict_impl(self, params, u, v, xs, ys):
        def one(chunk):
            preds, feats = self.features(params, *chunk)
            return preds, probes.probe_predictions(feats, u, v)

        batch = self.cfg.sim.batch_size
        chunks = (xs.reshape(-1, batch, *xs.shape[1:]), ys.reshape(-1, batch, ys.shape[-1]))
        out, layers = jax.lax.map(one, chunks)                    # [c, b, n], [c, L, b, n]
        layers = jnp.moveaxis(layers, 0, 1)
        return out.reshape(-1, ys.shape[-1]), layers.reshape(layers.shape[0], -1, ys.shape[-1])

    def predict(self, params, u, v, xs, ys) -> tuple[np.ndarray, np.ndarray]:
        """The network's output ``[B, n]`` and every layer's probe prediction ``[L, B, n]``, in chunks
        of ``sim.batch_size`` prompts."""
        out, layers = self._predict(params, u, v, xs, ys)
        return np.asarray(out), np.asarray(layers)

    def _induced_impl(self, params, u, v, x, y, q):
        n = x.shape[0]
        prefixes = jnp.arange(1, n)
        # sequences [n−1, T, n, d]: the prompt with x_t replaced by query k
        seqs = jax.vmap(lambda t: jax.vmap(lambda qk: x.at[t].set(qk))(q))(prefixes)
        flat = seqs.reshape(-1, n, x.shape[-1])
        feats = self.features(params, flat, jnp.broadcast_to(y, flat.shape[:2]))[1]
        feats = feats.reshape(feats.shape[0], n - 1, q.shape[0], n, -1)      # [L, n−1, T, n, H]
        at_t = feats[:, jnp.arange(n - 1), :, prefixes]                        # [n−1, L, T, H]
        preds = jnp.einsum("tlkh,lh->ltk", at_t, u) + v[:, None, None]         # [L, n−1, T]
        return probes.induced_weights(q, preds)                                # [L, n−1, d]

    def induced_weights(self, params, u, v, xs, ys, queries) -> np.ndarray:
        """w̃ ``[L, B, n−1, d]`` of every layer at prefixes t = 1..n−1: the probe's predictions for
        the queries ``[B, T, d]``, each put in the slot of x_t (one forward pass per query and
        prefix), fitted linearly on the queries."""
        batch = self.cfg.simw.prompt_batch
        chunks = [self._induced(params, u, v, xs[i:i + batch], ys[i:i + batch],
                                queries[i:i + batch]) for i in range(0, xs.shape[0], batch)]
        return np.concatenate([np.asarray(c) for c in chunks], axis=1)


# --------------------------------------------------------------------------- baselines (float64)

# One jit per algorithm family: two LAPACK call sites (eigh, SVD) in one XLA:CPU program can deadlock
# on 2 cores (see iclx.algorithms.regression); compiled once, reused for every seed.
_newton_predictions = jax.jit(R.newton_predictions, static_argnames="num_steps")
_gradient_descent = jax.jit(R.gradient_descent, static_argnames="steps")
_least_squares = jax.jit(R.least_squares)
_online_gd = jax.jit(R.online_gd)
_sime = jax.jit(probes.similarity_of_errors, static_argnames="first_position")
_simw = jax.jit(probes.similarity_of_weights)
_error = jax.jit(R.squared_error_per_position, static_argnames="n_dims")


@functools.partial(jax.jit, static_argnames="num_steps")
def _newton_weights(xs, ys, num_steps: int):
    return R.newton_weights_scan(*R.prefix_systems(xs, ys), num_steps)


@functools.partial(jax.jit, static_argnames="steps")
def _gd_weights(xs, ys, eta, steps: tuple[int, ...]):
    return R.gd_weights(*R.prefix_systems(xs, ys), eta, steps)


@jax.jit
def _fit_on_queries(queries, weights):
    """w̃ ``[K, B, n−1, d]``: least-squares fit on ``queries [B, T, d]`` of the predictions of
    ``weights [K, B, n, d]`` at prefixes 1..n−1."""
    preds = jnp.einsum("btd,kbsd->kbst", queries, weights[:, :, 1:])
    return probes.induced_weights(queries[None, :, None], preds)


def x64(fn, *arrays, **static):
    """``fn(*arrays, **static)`` on float64 copies of ``arrays`` (``jax.enable_x64`` locally), as numpy."""
    with jax.enable_x64(True):
        out = fn(*(jnp.asarray(a, jnp.float64) for a in arrays), **static)
        return jax.tree.map(np.asarray, out)


def baseline_predictions(cfg: C.ConfigDict, xs: np.ndarray, ys: np.ndarray) -> dict[str, np.ndarray]:
    """``{"newton" [K, B, n], "gd" [G, B, n], "gd_log" [G', B, n], "least_squares", "online_gd" [B, n]}``
    in float64."""
    grids = static_grids(cfg)
    gd = lambda x, y, steps: _gradient_descent(x, y, cfg.sim.gd_lr, steps=steps)
    return {"newton": x64(_newton_predictions, xs, ys, num_steps=cfg.sim.newton_max),
            "gd": x64(gd, xs, ys, steps=grids["gd"]),
            "gd_log": x64(gd, xs, ys, steps=grids["gd_log"]),
            "least_squares": x64(_least_squares, xs, ys),
            "online_gd": x64(_online_gd, xs, ys)}


def baseline_induced_weights(cfg: C.ConfigDict, xs: np.ndarray, ys: np.ndarray,
                             queries: np.ndarray) -> dict[str, np.ndarray]:
    """w̃ ``[K, B, n−1, d]`` per algorithm step at prefixes 1..n−1: the algorithm's predictions on the
    same queries as the transformer's, fitted by least squares (= its weight vector, up to rounding)."""
    grids = static_grids(cfg)
    gd = lambda x, y, steps: _gd_weights(x, y, cfg.sim.gd_lr, steps=steps)
    weights = {"newton": x64(_newton_weights, xs, ys, num_steps=cfg.sim.newton_max),
               "gd": x64(gd, xs, ys, steps=grids["gd"]),
               "gd_log": x64(gd, xs, ys, steps=grids["gd_log"])}
    return {k: x64(_fit_on_queries, queries, w) for k, w in weights.items()}


# --------------------------------------------------------------------------- evaluation of one seed


def evaluate_network(cfg: C.ConfigDict, probe: NetworkProbe, params, seed_key: jax.Array,
                     base: dict[str, np.ndarray], xs: np.ndarray, ys: np.ndarray,
                     prefix: str) -> dict[str, np.ndarray]:
    """Probes, SimE heatmaps, per-layer errors and the Table-1 row of one network on one seed."""
    u, v = probe.fit(params, seed_key)
    out_preds, layer_preds = probe.predict(params, u, v, xs, ys)
    first, d = cfg.sim.first_position, cfg.task.n_dims
    sime = lambda a, b: x64(_sime, a, b, ys, first_position=first)
    error = lambda p: x64(_error, p, ys, n_dims=d)
    result = {f"{prefix}/sime_{grid}": sime(base[grid], layer_preds) for grid in ("newton", "gd", "gd_log")}
    result[f"{prefix}/error_layers"] = error(layer_preds)
    result[f"{prefix}/error_model"] = error(out_preds)
    # Table 1: the network's own output against each algorithm at its best-matching step
    rows = {"newton": base["newton"], "gd": np.concatenate([base["gd"], base["gd_log"]]),
            "online_gd": base["online_gd"][None]}
    result[f"{prefix}/table"] = np.array([np.max(sime(rows[c], out_preds[None])) for c in TABLE_COLUMNS])
    result[f"{prefix}/probe_u"], result[f"{prefix}/probe_v"] = u, v
    return result


def simw_prompts(cfg: C.ConfigDict, seed_key: jax.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SimW prompts ``xs [B, n, d]``, ``ys [B, n]`` and queries ``[B, T, d]`` from the same input
    distribution as their prompt (one prompt of n + T points, split: same covariance and eigenbasis);
    one query set per prompt, shared by its prefixes."""
    n, num_queries = cfg.task.n_points, cfg.simw.n_queries
    task = linear.LinearRegressionTask.from_config(
        C.ConfigDict(cfg.task.to_dict() | {"n_points": n + num_queries}))
    prompt = task.sample_batch(rng.stream(seed_key, "simw"), cfg.simw.n_prompts)
    xs = np.asarray(prompt.xs)
    return xs[:, :n], np.asarray(prompt.ys)[:, :n], xs[:, n:]


def evaluate_seed(cfg: C.ConfigDict, nets: dict[str, NetworkProbe], params: dict[str, Any],
                  seed_key: jax.Array) -> dict[str, np.ndarray]:
    """Every array of one seed: baselines, then each network (``"tf"``, ``"lstm"``), then SimW."""
    task = linear.LinearRegressionTask.from_config(cfg.task)
    d, first = cfg.task.n_dims, cfg.sim.first_position
    prompt = task.sample_batch(rng.stream(seed_key, "eval"), cfg.sim.n_prompts)
    xs, ys = np.asarray(prompt.xs), np.asarray(prompt.ys)
    base = baseline_predictions(cfg, xs, ys)
    result = {f"alg/error_{k}": x64(_error, p, ys, n_dims=d) for k, p in base.items()}
    result["alg/sime_newton_vs_gd_log"] = x64(_sime, base["gd_log"], base["newton"], ys,
                                              first_position=first)
    for name, probe in nets.items():
        result.update(evaluate_network(cfg, probe, params[name], seed_key, base, xs, ys, name))
    if cfg.simw.enabled:
        sx, sy, queries = simw_prompts(cfg, seed_key)
        layer_w = nets["tf"].induced_weights(params["tf"], result["tf/probe_u"], result["tf/probe_v"],
                                             sx, sy, queries)
        for grid, w in baseline_induced_weights(cfg, sx, sy, queries).items():
            result[f"tf/simw_{grid}"] = x64(_simw, w, layer_w)
    return result


# --------------------------------------------------------------------------- run


def best_match_summary(cfg: C.ConfigDict, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Best-matching steps per layer (mean, spread over seeds, tie band of the seed-mean heatmap)."""
    grids, out = step_grids(cfg), {}
    for key in sorted(arrays):
        if "/sime_" not in key and "/simw_" not in key or key.startswith("alg/"):
            continue
        grid = key.split("_", 1)[1]
        per_seed = probes.best_steps(arrays[key], grids[grid], cfg.sim.decimals)
        mean_map = probes.best_match(arrays[key].mean(axis=0), cfg.sim.decimals)
        out[key] = {"best_mean": per_seed["best"].mean(axis=0).tolist(),
                    "best_std": per_seed["best"].std(axis=0).tolist(),
                    "best_per_seed": per_seed["best"].tolist(),
                    "best_of_mean": grids[grid][mean_map.index].tolist(),
                    "tie_low": grids[grid][mean_map.low].tolist(),
                    "tie_high": grids[grid][mean_map.high].tolist(),
                    "score_of_mean": mean_map.score.tolist()}
    return out


def summarise(cfg: C.ConfigDict, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    matches = best_match_summary(cfg, arrays)
    lines = []
    fmt = lambda xs: ", ".join(f"{x:g}" for x in xs)
    for key, m in matches.items():
        spread = ", ".join(f"{a:.3g}±{s:.2g}" for a, s in zip(m["best_mean"], m["best_std"]))
        ties = ", ".join(f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
                         for lo, hi in zip(m["tie_low"], m["tie_high"]))
        lines.append(f"{key}: best step per layer (mean±sd over seeds) {spread}")
        lines.append(f"  seed-mean heatmap: best {fmt(m['best_of_mean'])}; tie band {ties}; "
                     f"scores {', '.join(f'{s:.3f}' for s in m['score_of_mean'])}")
    table = {}
    for net in ("tf", "lstm"):
        if f"{net}/table" in arrays:
            values = arrays[f"{net}/table"]
            table[net] = {c: [float(values[:, i].mean()), float(values[:, i].std())]
                          for i, c in enumerate(TABLE_COLUMNS)}
            lines.append(f"Table 1 {net}: " + ", ".join(
                f"{c} {m:.3f}±{s:.3f}" for c, (m, s) in table[net].items()))
    d = cfg.task.n_dims
    late = np.mean(arrays["tf/error_model"][:, d:])
    lines.append(f"transformer error/d at ≥ d examples: {late:.4f} "
                 f"(least squares {np.mean(arrays['alg/error_least_squares'][:, d:]):.2e})")
    return {"best_match": matches, "table1": table, "tf_error_after_d": float(late), "summary": lines}


def run(cfg: C.ConfigDict, ctx: E.RunContext):
    lanes = T.seed_lanes(cfg.seeds)
    states = {"tf": ctx.train(LR.build_problem(cfg), cfg.train, lanes)}
    nets = {"tf": NetworkProbe(cfg, models.build(cfg.model, cfg.task.n_dims))}
    if cfg.lstm.enabled:
        lstm_cfg = sub_config(cfg, cfg.lstm.model, cfg.lstm.train)
        states["lstm"] = ctx.train(LR.build_problem(lstm_cfg), cfg.lstm.train, lanes, name="lstm")
        nets["lstm"] = NetworkProbe(cfg, models.build(cfg.lstm.model, cfg.task.n_dims))
    ctx.log("fitting probes and comparing with Newton / GD …")
    keys = lanes.keys(cfg.seed)
    per_seed = []
    for lane in range(len(lanes)):
        params = {name: T.lane_slice(state.params, lane) for name, state in states.items()}
        per_seed.append(evaluate_seed(cfg, nets, params, keys[lane]))
    arrays = {k: np.stack([r[k] for r in per_seed]) for k in per_seed[0]}
    arrays.update({f"grid/{k}": v for k, v in step_grids(cfg).items()})
    return summarise(cfg, arrays), arrays


# --------------------------------------------------------------------------- figures


def plot(cfg: C.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
         fig_dir: Path) -> list[Path]:
    from iclx.experiments import gd_vs_newton_plots as plots

    return plots.plot_all(cfg, scalars, arrays, fig_dir)


EXPERIMENT = E.Experiment(name=NAME, get_config=get_config, validate=validate, run=run, plot=plot,
                          figures_dir="experiments/gd_vs_newton")
main = EXPERIMENT.main

if __name__ == "__main__":
    raise SystemExit(main())
