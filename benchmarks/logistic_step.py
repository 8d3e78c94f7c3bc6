"""The GMM logistic-regression baseline's step rule against the former fixed step (benchmarks/README.md).

For GMM prompts (d = 8 and 20, inputs of scale 1 and 3, prefixes M = 5 … 400; 256 prompts each, float64)
it prints the median gap of the objective after 100 GD steps to the minimiser (5000 steps at lr = 1),
and the fraction of prompts whose objective ever rose, for the former fixed step 0.5 and for the rule
step = lr / L (``iclx.algorithms.classification.logistic_path``) with lr = 1 and 1.5.

    .venv/bin/python benchmarks/logistic_step.py
"""

import jax
import jax.numpy as jnp

from iclx.algorithms import classification
from iclx.tasks.gmm import GMMTask

L2 = 1e-2


def fixed_step_values(xs, onehot, steps, eta, mask):
    """The objective [steps] along GD with the absolute step ``eta`` (the former baseline)."""
    loss, feats, _ = classification.logistic_objective(xs, onehot, L2, mask)

    def update(t, _):
        value, grad = jax.value_and_grad(loss)(t)
        return t - eta * grad, value

    return jax.lax.scan(update, jnp.zeros((feats.shape[1], 2)), None, length=steps)[1]


def main() -> None:
    with jax.enable_x64(True):
        for d, scale in ((8, 1.0), (20, 1.0), (20, 3.0)):
            task = GMMTask(n_dims=d, n_points=400, mean_scale=scale)
            p = jax.tree.map(lambda a: a.astype(jnp.float64),
                             task.sample_batch(jax.random.PRNGKey(0), 256, n=401))
            onehot = jax.nn.one_hot(p.labels, 2, dtype=jnp.float64)
            for M in (5, 20, 100, 400):
                mask = (jnp.arange(401) < M).astype(jnp.float64)
                rule = jax.jit(jax.vmap(lambda x, o, steps, lr: classification.logistic_path(x, o, steps, lr, L2, mask)[1],
                                        (0, 0, None, None)), static_argnums=2)
                fixed = jax.jit(jax.vmap(lambda x, o: fixed_step_values(x, o, 101, 0.5, mask)))
                best = rule(p.xs, onehot, 5000, 1.0)[:, -1]
                runs = {"fixed 0.5": fixed(p.xs, onehot),
                        "rule lr=1": rule(p.xs, onehot, 101, 1.0), "rule lr=1.5": rule(p.xs, onehot, 101, 1.5)}
                cells = [f"{name}: gap {float(jnp.median(v[:, -1] - best)):.1e}, rose "
                         f"{float(jnp.mean(jnp.any(jnp.diff(v, axis=1) > 1e-12, axis=1))):.2f}"
                         for name, v in runs.items()]
                print(f"d={d} scale={scale} M={M}: " + " | ".join(cells))


if __name__ == "__main__":
    main()
