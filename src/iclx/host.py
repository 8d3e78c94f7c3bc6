"""One XLA CPU device per core, set before JAX starts its CPU backend.

On a CPU, XLA runs one program per device, and the ops of a small step are too small to split over
two threads: one core works while the other waits. With one XLA CPU device per core, the engine's
lane placement (``iclx.engine.placement``) runs independent lanes (seeds × sweep points) side by
side, each device on its own core. ``configure()`` (called when ``iclx`` is imported) appends
``--xla_force_host_platform_device_count=N`` to ``XLA_FLAGS`` unless it is already there:

- ``ICLX_CPU_DEVICES=auto`` (the default): N = the cores this process may run on;
- ``ICLX_CPU_DEVICES=<n>``: N = n (``1``: one device, as before).

It only shapes the CPU backend: a GPU or TPU run sees its accelerators as before. It takes effect
only if JAX's backend has not started yet (importing ``iclx`` before running any JAX code).

With several devices it also sizes XLA's intra-op thread pool (``NPROC``, read by XLA's
``DefaultThreadPoolSize``; left alone when set) to at least one thread more than the devices: jaxlib's
batched LAPACK kernels (LU in ``jnp.linalg.solve``/``inv``) split their batch over that pool and wait
for the parts, so with one pool thread per device two devices could each hold a thread waiting for
parts that no thread was left to run. gmm's convergence stage hung that way on 2 cores (jaxlib
0.10.2; ``tests/test_host.py`` reproduces it, marked slow).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

ENV = "ICLX_CPU_DEVICES"
FLAG = "--xla_force_host_platform_device_count"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:      # not on Linux
        return max(1, os.cpu_count() or 1)


def requested_devices(environ: Mapping[str, str] = os.environ) -> int:
    """The CPU device count ``ICLX_CPU_DEVICES`` asks for; ``ValueError`` (one line) when invalid."""
    value = environ.get(ENV, "auto").strip()
    if value in ("", "auto"):
        return usable_cores()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"environment variable {ENV}={value!r}: must be 'auto' or a positive integer")
    return int(value)


def forced_count(xla_flags: str) -> int | None:
    """The device count ``XLA_FLAGS`` already forces, if any."""
    for token in xla_flags.split():
        if token.startswith(FLAG + "="):
            count = token.split("=", 1)[1]
            return int(count) if count.isdigit() else None
    return None


def configure(environ: MutableMapping[str, str] = os.environ) -> int | None:
    """Append the device-count flag to ``environ["XLA_FLAGS"]`` (unless set there already or the
    request is invalid: the command line reports that); the count now forced, or None."""
    flags = environ.get("XLA_FLAGS", "")
    if (count := forced_count(flags)) is None:
        try:
            count = requested_devices(environ)
        except ValueError:
            return None
        if count > 1:
            environ["XLA_FLAGS"] = f"{flags} {FLAG}={count}".strip()
    if count > 1 and not any(environ.get(k) for k in POOL_ENV):
        environ[POOL_ENV[-1]] = str(pool_threads(count))
    return count


POOL_ENV = ("PORTABLE_NPROC", "NPROC")    # XLA's intra-op pool size, in the order XLA reads them


def pool_threads(devices: int) -> int:
    """XLA's intra-op pool size for ``devices`` CPU devices: the usable cores, and at least one
    thread more than the devices (see the module docstring)."""
    return max(usable_cores(), devices + 1)
