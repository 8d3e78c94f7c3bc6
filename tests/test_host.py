"""One XLA CPU device per core (iclx.host): the flag it sets, what overrides it, bad values."""

import os
import subprocess
import sys

import pytest

from iclx import host
from iclx.experiments import __main__ as registry_cli


def test_auto_forces_one_device_per_usable_core():
    env = {}
    count = host.configure(env)
    assert count == host.usable_cores()
    if count > 1:
        assert env["XLA_FLAGS"] == f"{host.FLAG}={count}"
        assert env["NPROC"] == str(count + 1)
    else:
        assert "XLA_FLAGS" not in env and "NPROC" not in env


def test_several_devices_get_a_pool_thread_more_than_devices_unless_the_user_sized_it():
    env = {host.ENV: "3"}
    host.configure(env)
    assert int(env["NPROC"]) == max(host.usable_cores(), 4)
    env = {"XLA_FLAGS": f"{host.FLAG}=5"}                 # a count forced by the user's own flag too
    host.configure(env)
    assert int(env["NPROC"]) == max(host.usable_cores(), 6)
    for user in ({"NPROC": "7"}, {"PORTABLE_NPROC": "7"}):
        env = {host.ENV: "3", **user}
        host.configure(env)
        assert env == {host.ENV: "3", **user, "XLA_FLAGS": f"{host.FLAG}=3"}
    env = {host.ENV: "1"}
    host.configure(env)
    assert "NPROC" not in env


def test_an_explicit_count_and_existing_xla_flags_win():
    env = {host.ENV: "3", "XLA_FLAGS": "--xla_cpu_foo=1"}
    assert host.configure(env) == 3
    assert env["XLA_FLAGS"] == f"--xla_cpu_foo=1 {host.FLAG}=3"
    env = {host.ENV: "3", "XLA_FLAGS": f"{host.FLAG}=4"}      # the user's own flag is left alone
    assert host.configure(env) == 4 and env["XLA_FLAGS"] == f"{host.FLAG}=4"
    env = {host.ENV: "1"}
    assert host.configure(env) == 1 and "XLA_FLAGS" not in env


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_value_is_one_line_and_sets_nothing(value):
    with pytest.raises(ValueError, match=f"{host.ENV}=.*'auto' or a positive integer"):
        host.requested_devices({host.ENV: value})
    env = {host.ENV: value}
    assert host.configure(env) is None and "XLA_FLAGS" not in env


def test_concurrent_targets_share_the_cores_out():
    env = registry_cli.child_environment(2, {})
    assert env[host.ENV] == str(max(1, host.usable_cores() // 2))
    assert registry_cli.child_environment(64, {})[host.ENV] == "1"
    assert host.ENV not in registry_cli.child_environment(2, {"XLA_FLAGS": f"{host.FLAG}=2"})
    assert registry_cli.child_environment(2, {host.ENV: "4"})[host.ENV] == "4"


def test_importing_iclx_gives_jax_that_many_cpu_devices():
    env = {**os.environ, host.ENV: "3", "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    out = subprocess.run([sys.executable, "-c", "import iclx, jax; print(jax.device_count())"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "3"


HANG = """
import jax, jax.numpy as jnp
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
lanes = NamedSharding(Mesh(jax.devices(), ("lanes",)), P("lanes"))
A = jax.device_put(2 * jnp.eye(8) + 0.01 * jax.random.normal(jax.random.key(0), (2, 8192, 8, 8)), lanes)

@jax.jit
def solves(A, b):          # 300 batched LU solves per call, one lane per device
    def step(x, _):
        x = jnp.linalg.solve(A, x[..., None])[..., 0]
        return x / jnp.linalg.norm(x, axis=-1, keepdims=True), None
    return jax.lax.scan(step, b, None, length=300)[0]

b = jax.device_put(jnp.ones((2, 8192, 8)), lanes)
for _ in range(3):
    b = solves(A, b).block_until_ready()
print("done")
"""


@pytest.mark.slow
def test_batched_solves_on_two_devices_do_not_hang():
    """Without the pool thread configure() adds, this hung in its second call (jaxlib 0.10.2, 2 cores):
    both pool threads waited inside LAPACK's batch split for parts that no thread was left to run."""
    env = {**os.environ, host.ENV: "2", "JAX_PLATFORMS": "cpu"}
    for key in ("XLA_FLAGS", "NPROC", "PORTABLE_NPROC"):
        env.pop(key, None)
    out = subprocess.run([sys.executable, "-c", "import iclx\n" + HANG], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "done", out.stderr[-2000:]
