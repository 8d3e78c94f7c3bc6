"""Joining a multi-process cluster (several hosts, or several processes on one machine).

``initialize_distributed(cluster_settings(...))`` (``--distributed`` on the command line) joins the
cluster; it is never called at import. The settings come from the command line, else from the
environment variables ``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES``, ``JAX_PROCESS_ID``, else
from a scheduler jax detects (SLURM, Open MPI, TPU pods). Only process 0 writes metrics, results and
figures (``is_main_process``); ``sync_processes`` is a barrier.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

import jax

ENV_COORDINATOR, ENV_NUM_PROCESSES, ENV_PROCESS_ID = (
    "JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID")
DEFAULT_TIMEOUT_S = 300
SETTINGS_HELP = (f"--coordinator=HOST:PORT --num-processes=N --process-id=I (or {ENV_COORDINATOR}, "
                 f"{ENV_NUM_PROCESSES}, {ENV_PROCESS_ID})")


class ClusterError(ValueError):
    """A cluster that cannot be joined; ``str`` is one line. ``exit_code`` 2: a missing or
    inconsistent setting (nothing was started); 1: the cluster did not answer."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


@dataclasses.dataclass(frozen=True)
class ClusterSettings:
    """Where process 0's coordination service listens, how many processes, which one this is.
    A field left None is read by ``jax.distributed.initialize`` from ``scheduler``'s environment."""

    coordinator: str | None
    num_processes: int | None
    process_id: int | None
    timeout_s: int = DEFAULT_TIMEOUT_S
    scheduler: str = ""     # the environment jax detects (SLURM, Open MPI, TPU…), "" if not needed

    def describe(self) -> str:
        def show(value: Any) -> str:
            return f"from {self.scheduler}" if value is None else str(value)

        return (f"process {show(self.process_id)} of {show(self.num_processes)}, "
                f"coordinator {show(self.coordinator)}")


def _int_setting(flag: str, value: str | int | None, env: str, environ: Mapping[str, str],
                 low: int) -> int | None:
    source = flag
    if value is None or value == "":
        value, source = environ.get(env) or None, env
    if value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or number < low:
        kind = "a positive integer" if low > 0 else "an integer ≥ 0"
        raise ClusterError(f"--distributed: {source}={value!r} is not {kind}")
    return number


def _check_address(address: str, source: str) -> str:
    host, sep, port = address.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ClusterError(f"--distributed: {source}={address!r} is not HOST:PORT "
                           "(e.g. 10.0.0.1:12355 or node01:12355)")
    return address.strip()


def detected_scheduler() -> str:
    """The cluster environment ``jax.distributed.initialize`` would read (SLURM, Open MPI, TPU pods,
    Kubernetes), or "" when there is none."""
    try:
        from jax._src import clusters  # jax's own detection; private, hence the fallback below

        found = [env.__name__.removesuffix("Cluster") for env in clusters.ClusterEnv._cluster_types
                 if not env.opt_in_only_method and env.is_env_present()]
    except Exception:  # noqa: BLE001 - if jax moved it, leave detection to initialize()
        return "the environment"
    return found[0] if found else ""


def cluster_settings(coordinator: str | None = None, num_processes: str | int | None = None,
                     process_id: str | int | None = None, timeout_s: str | int | None = None,
                     environ: Mapping[str, str] | None = None) -> ClusterSettings:
    """The settings to join with, checked before anything starts: each of the command-line values
    (None: not given) or else its environment variable (JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES,
    JAX_PROCESS_ID); what is still unset must come from a scheduler jax detects (SLURM, Open MPI,
    TPU pods). Raises ``ClusterError`` (one line) on a missing or inconsistent setting."""
    environ = os.environ if environ is None else environ
    source = "--coordinator"
    if not coordinator:
        coordinator, source = environ.get(ENV_COORDINATOR) or None, ENV_COORDINATOR
    if coordinator is not None:
        coordinator = _check_address(coordinator, source)
    n = _int_setting("--num-processes", num_processes, ENV_NUM_PROCESSES, environ, low=1)
    i = _int_setting("--process-id", process_id, ENV_PROCESS_ID, environ, low=0)
    timeout = _int_setting("--distributed-timeout", timeout_s, "ICLX_DISTRIBUTED_TIMEOUT", environ, low=1)
    if n is not None and i is not None and i >= n:
        raise ClusterError(f"--distributed: process id {i} is not below the number of processes {n} "
                           f"(ids run from 0 to {n - 1})")
    settings = dict(coordinator=coordinator, num_processes=n, process_id=i,
                    timeout_s=timeout or DEFAULT_TIMEOUT_S)
    missing = [name for name, value in (("--coordinator/" + ENV_COORDINATOR, coordinator),
                                        ("--num-processes/" + ENV_NUM_PROCESSES, n),
                                        ("--process-id/" + ENV_PROCESS_ID, i)) if value is None]
    if not missing:
        return ClusterSettings(**settings)
    scheduler = detected_scheduler()
    if not scheduler:
        if len(missing) == 3:
            raise ClusterError(f"--distributed: no cluster found: give {SETTINGS_HELP}, or run under "
                               "SLURM (srun), Open MPI (mpirun) or on a TPU pod")
        raise ClusterError(f"--distributed: {', '.join(missing)} not set and no SLURM / Open MPI / TPU "
                           f"environment to read {'it' if len(missing) == 1 else 'them'} from "
                           f"(give {SETTINGS_HELP})")
    return ClusterSettings(**settings, scheduler=scheduler)


def _exit_on_failure(exc_type, exc, tb) -> None:
    """``sys.excepthook`` of a distributed process: an error ends this process at once (without
    jax's shutdown barrier, which a lost peer would never reach), so the others fail fast too."""
    text = f"{exc_type.__name__}: {exc}"
    lost = any(mark in text for mark in ("Gloo", "Connection closed", "Connection reset",
                                         "coordination service", "heartbeat", "UNAVAILABLE"))
    if not lost:
        sys.__excepthook__(exc_type, exc, tb)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc_type.__name__
    what = "lost another process" if lost else "failed"
    print(f"error: process {jax.process_index()} of {jax.process_count()} {what} ({first[:300]}); "
          "rerun the same command on every process to resume from the last checkpoint",
          file=sys.stderr, flush=True)
    os._exit(1)


def initialize_distributed(settings: ClusterSettings | None = None) -> None:
    """Join the cluster (``cluster_settings()`` by default); never called at import. On CPU the
    processes gather through gloo. A cluster that does not form within ``timeout_s`` (the
    coordinator does not answer, a process is missing) ends this process with one line, exit code 1;
    a process silent for ``min(timeout_s, 100)`` s counts as lost (the others then stop)."""
    settings = settings or cluster_settings()
    try:
        if jax.config.jax_cpu_collectives_implementation in (None, "", "none"):
            jax.config.update("jax_cpu_collectives_implementation", "gloo")
    except AttributeError:   # a jax without the option
        pass

    # jax aborts the process (no Python exception) when its own timeout passes: ours fires first
    joined = _wait_with_countdown(settings)
    try:
        jax.distributed.initialize(coordinator_address=settings.coordinator,
                                   num_processes=settings.num_processes,
                                   process_id=settings.process_id,
                                   initialization_timeout=settings.timeout_s + 60,
                                   heartbeat_timeout_seconds=min(settings.timeout_s, 100))
        devices = jax.devices()       # every process's devices: the cluster has formed
    except (ValueError, TypeError, RuntimeError) as error:
        joined.set()
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ClusterError(f"--distributed: could not join ({settings.describe()}): {first}",
                           exit_code=1 if isinstance(error, RuntimeError) else 2) from None
    joined.set()
    if settings.num_processes is not None and jax.process_count() != settings.num_processes:
        raise ClusterError(f"--distributed: joined {jax.process_count()} processes, "
                           f"not {settings.num_processes}")
    sys.excepthook = _exit_on_failure
    if settings.process_id in (0, None) and jax.process_index() == 0:
        print(f"joined a cluster of {jax.process_count()} processes, {len(devices)} devices "
              f"({devices[0].platform})", file=sys.stderr, flush=True)


def waiting_for(settings: ClusterSettings) -> str:
    """What a joining process waits for, in words."""
    if settings.process_id == 0:
        others = "the other processes" if settings.num_processes is None else (
            f"the other {settings.num_processes - 1} process(es)")
        return f"{others} to connect to this coordinator at {settings.coordinator or 'its address'}"
    return f"the coordinator (process 0) at {settings.coordinator or 'the scheduler’s address'} and every process"


def countdown_interval(timeout_s: int) -> float:
    """Seconds between two "still waiting" lines: a tenth of the timeout, 1 to 30 s."""
    return float(min(30.0, max(1.0, timeout_s / 10)))


def _wait_with_countdown(settings: ClusterSettings) -> threading.Event:
    """Say what this process waits for and when it gives up; then, until the returned event is set,
    a line with the seconds left every ``countdown_interval``; at the deadline, one error line and
    exit code 1 (jax's own timeout would abort without a message)."""
    print(f"--distributed: waiting for {waiting_for(settings)} ({settings.describe()}); giving up in "
          f"{settings.timeout_s} s (--distributed-timeout)", file=sys.stderr, flush=True)
    joined = threading.Event()
    deadline = time.monotonic() + settings.timeout_s

    def count_down() -> None:
        while not joined.wait(min(countdown_interval(settings.timeout_s),
                                  max(0.0, deadline - time.monotonic()))):
            left = deadline - time.monotonic()
            if left <= 0:
                _give_up(settings)
            print(f"--distributed: still waiting for {waiting_for(settings)}: {left:.0f} s left",
                  file=sys.stderr, flush=True)

    threading.Thread(target=count_down, daemon=True, name="iclx-cluster-countdown").start()
    return joined


def _give_up(settings: ClusterSettings) -> None:
    print(f"error: --distributed: the cluster did not form within {settings.timeout_s} s "
          f"({settings.describe()}): start every process with the same coordinator and number of "
          "processes, and check that the coordinator's address is reachable from here "
          "(--distributed-timeout sets the wait)", file=sys.stderr, flush=True)
    os._exit(1)


def sync_processes(name: str) -> None:
    """Wait until every process reaches this point (no-op in a one-process run)."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def is_main_process() -> bool:
    """Only process 0 writes metrics, results and figures."""
    return jax.process_index() == 0
