"""Shared fixtures. Tests run on the CPU; float64 is switched on locally with ``jax.enable_x64``."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# A compilation cache private to this test session (fresh each time, so tests stay hermetic): tests
# that build the same program through different closures (the smoke trainer, mostly) compile it once.
os.environ["ICLX_COMPILATION_CACHE"] = tempfile.mkdtemp(prefix="iclx-test-jax-cache-")
atexit.register(shutil.rmtree, os.environ["ICLX_COMPILATION_CACHE"], ignore_errors=True)

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from iclx.experiment import enable_compilation_cache  # noqa: E402

enable_compilation_cache()


@pytest.fixture
def x64():
    """Run the test body with float64 enabled."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def np_rng():
    return np.random.default_rng(0)
