"""Shared fixtures. Tests run on the CPU; float64 is switched on locally with ``jax.enable_x64``."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# One XLA CPU device per process: the xdist workers already use every core (iclx.host would otherwise
# give each worker one device per core). Tests of several devices run a subprocess with their own count.
os.environ.setdefault("ICLX_CPU_DEVICES", "1")
# Tests run small shapes, where XLA's compile time dominates: compile with its optimisation passes off
# (same programs, same semantics; float results may differ in the last bits from an optimised build).
# ICLX_TEST_XLA_OPT=1 keeps them on.
# XLA:CPU's newer fusion emitters took 2.4× the compile time of the classic ones on gmm's smoke run
# (48.5 s → 19.8 s of XLA compilation, 160 programs; benchmarks/README.md "Compile time of the tests").
if os.environ.get("ICLX_TEST_XLA_OPT") != "1":
    os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
    if "--xla_cpu_use_fusion_emitters" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_use_fusion_emitters=false").strip()
# Experiments' figures as PNG only (PDF font subsetting took a third of a smoke run's time);
# tests/test_plotting.py saves every format.
os.environ.setdefault("ICLX_FIGURE_FORMATS", "png")
os.environ.setdefault("ICLX_FIGURE_DPI", "60")
# A compilation cache private to this test session (fresh each time, so tests stay hermetic) and
# shared by its xdist workers: tests that build the same program through different closures (the
# smoke trainer, the fuzz test's runs) compile it once. The controller (or a lone process) removes it.
# (xdist workers are children of the controller: the folder is named after the controller's pid.)
_worker = bool(os.environ.get("PYTEST_XDIST_WORKER"))
_cache = os.path.join(tempfile.gettempdir(),
                      f"iclx-test-jax-cache-{os.getppid() if _worker else os.getpid()}")
os.makedirs(_cache, exist_ok=True)
os.environ["ICLX_COMPILATION_CACHE"] = _cache
if not _worker:
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from iclx.framework.cli import enable_compilation_cache  # noqa: E402

enable_compilation_cache()


@pytest.fixture
def x64():
    """Run the test body with float64 enabled."""
    with jax.enable_x64(True):
        yield


def _assert_causal(model, params, xs, ys, i: int) -> None:
    """The prediction at x_j (j ≤ i) ignores every later x and every y from y_i on (its own label),
    and the predictions after position i do depend on them."""
    preds = model.apply({"params": params}, xs, ys)
    xs2 = xs.at[:, i + 1:].set(jax.random.normal(jax.random.key(9), xs[:, i + 1:].shape))
    ys2 = ys.at[:, i:].set(100.0)
    preds2 = model.apply({"params": params}, xs2, ys2)
    np.testing.assert_allclose(preds2[:, : i + 1], preds[:, : i + 1], atol=1e-6)
    assert not np.allclose(preds2[:, i + 1:], preds[:, i + 1:])


@pytest.fixture
def assert_causal():
    """``assert_causal(model, params, xs [B, n, d], ys [B, n], i)``: see ``_assert_causal``."""
    return _assert_causal


@pytest.fixture
def command_line(capsys):
    """``command_line(experiment, *args) -> (exit code, stderr lines)``: the experiment's command line
    (``experiment.main``) run in this process."""
    def run(experiment, *args: str) -> tuple[int, list[str]]:
        code = experiment.main(list(args))
        return code, capsys.readouterr().err.strip().splitlines()

    return run


@pytest.fixture
def np_rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """``smoke_run(name) -> SmokeRun``: experiment ``name``'s smoke preset run end to end once per
    test session — shared by every xdist worker through a folder beside their temp roots and a file
    lock, so the registry test and an experiment's own tests reuse the same run."""
    import fcntl
    from types import SimpleNamespace

    from iclx import experiments as registry

    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "smoke-runs"
    shared.mkdir(parents=True, exist_ok=True)

    def run(name: str, variant: str = ""):
        experiment = registry.load(name)
        tag = f"{name}-{variant}" if variant else name
        figures = shared / "figures" / tag
        args = ["--preset=smoke", f"--out={shared / 'runs'}", f"--figures={figures}", "--no-progress"]
        if variant:
            args.append(f"--variant={variant}")
        with open(shared / f"{tag}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            code = experiment.main(args)
        cfg = experiment.config("smoke", variant=variant)
        return SimpleNamespace(code=code, run_dir=experiment.run_dir(cfg, shared / "runs"),
                               figures=figures, cfg=cfg, experiment=experiment)

    return run


# ------------------------------------------------------------------ test order (tests/schedule.py)
_recorded: dict[str, float] = {}


def pytest_collection_modifyitems(session, config, items):
    """Long tests first, dealt over the xdist workers (tests/schedule.py)."""
    from tests import schedule

    schedule.reorder(items, [item.nodeid for item in items])


def pytest_runtest_logreport(report):
    """With ``ICLX_RECORD_TEST_DURATIONS=1`` (``make test-durations``), the controller keeps each test's
    call time."""
    from tests import schedule

    if report.when == "call" and os.environ.get(schedule.RECORD_ENV) == "1" and not _worker:
        _recorded[report.nodeid] = report.duration


def pytest_sessionfinish(session, exitstatus):
    if _recorded and not _worker:
        from tests import schedule

        schedule.record(_recorded)
