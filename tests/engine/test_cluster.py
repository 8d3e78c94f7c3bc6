"""Scale-out across processes: ``--distributed`` on two local CPU processes (one device each, talking
over loopback through gloo) gives the one-process results.

The scenario runs ``python -m iclx.experiments.linear_regression --preset=smoke`` (2 seeds = 2 lanes,
one per process) three times with the same config: once as one process (the reference), then as two
processes of which process 1 is killed after the first checkpoint (process 0 must stop with a clear
error, in bounded time), then as two processes again (it must resume from that checkpoint). The
resumed two-process run must equal the reference: every metric of metrics.jsonl, every array of
arrays.npz and every number of results.json within rtol 1e-5 / atol 1e-7 (float32 training; one lane
per device vs both lanes on one device changes XLA's vectorisation, which moves the last bits:
measured ≤ 1.2e-7 relative), and only process 0 writes into the run folder.

The processes compile the training and evaluation programs (the disk compilation cache is shared, so
the rerun mostly loads them), which dominates this file's time. ``ICLX_SKIP_DISTRIBUTED=1`` skips the
multi-process scenario, reported as skipped with its reason.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from iclx.engine import cluster, results

EXPERIMENT = "linear_regression"
# 400 steps: long enough to kill process 1 mid-run after the first checkpoint, short enough that the
# last-bit differences stay at float32 rounding (Adam training is chaotic: at 1000 steps one lane's
# loss had drifted by 0.2% — measured, 2 layers — while it matched to ~1e-8 up to step 700)
STEPS, CHUNK, CHECKPOINT = 400, 20, 100
OVERRIDES = [f"--config.train.steps={STEPS}", f"--config.train.chunk_steps={CHUNK}",
             f"--config.train.log_every={CHUNK}", f"--config.train.checkpoint_every={CHECKPOINT}",
             "--config.model.n_layer=1", "--config.eval.n_prompts=32"]
RUN_TIMEOUT_S = 420          # one whole run, compilation included, on a busy 2-core machine
LOST_PROCESS_TIMEOUT_S = 60  # process 0 must end this soon after process 1 is killed
RTOL, ATOL = 1e-5, 1e-7
SKIP = os.environ.get("ICLX_SKIP_DISTRIBUTED", "") not in ("", "0")


# --------------------------------------------------------------------------- settings (no processes)


def test_settings_come_from_flags_then_environment():
    env = {"JAX_COORDINATOR_ADDRESS": "10.0.0.1:1234", "JAX_NUM_PROCESSES": "4", "JAX_PROCESS_ID": "3"}
    got = cluster.cluster_settings(environ=env)
    assert (got.coordinator, got.num_processes, got.process_id) == ("10.0.0.1:1234", 4, 3)
    assert got.timeout_s == cluster.DEFAULT_TIMEOUT_S and got.scheduler == ""
    got = cluster.cluster_settings("node7:99", "2", "1", "5", environ=env)   # flags win
    assert (got.coordinator, got.num_processes, got.process_id, got.timeout_s) == ("node7:99", 2, 1, 5)


@pytest.mark.parametrize("args, env, message", [
    ((None, None, None), {}, "no cluster found"),
    (("h:1", "2", None), {}, "--process-id/JAX_PROCESS_ID not set"),
    (("h:1", None, None), {"JAX_NUM_PROCESSES": "2"}, "--process-id/JAX_PROCESS_ID not set"),
    (("h", "2", "0"), {}, "is not HOST:PORT"),
    (("h:70000", "2", "0"), {}, "is not HOST:PORT"),
    (("h:1", "two", "0"), {}, "--num-processes='two' is not a positive integer"),
    (("h:1", "0", "0"), {}, "is not a positive integer"),
    ((None, None, None), {"JAX_COORDINATOR_ADDRESS": "h:1", "JAX_NUM_PROCESSES": "2",
                          "JAX_PROCESS_ID": "-1"}, "JAX_PROCESS_ID='-1' is not an integer ≥ 0"),
    (("h:1", "2", "2"), {}, "process id 2 is not below the number of processes 2"),
])
def test_missing_or_inconsistent_settings_are_one_line(args, env, message, monkeypatch):
    monkeypatch.setattr(cluster, "detected_scheduler", lambda: "")   # not inside SLURM / MPI here
    with pytest.raises(cluster.ClusterError, match=message) as info:
        cluster.cluster_settings(*args, environ=env)
    assert "\n" not in str(info.value) and info.value.exit_code == 2


def test_a_scheduler_fills_what_is_unset(monkeypatch):
    monkeypatch.setattr(cluster, "detected_scheduler", lambda: "Slurm")
    got = cluster.cluster_settings(None, None, None, environ={"JAX_COORDINATOR_ADDRESS": "n1:5"})
    assert got.coordinator == "n1:5" and got.num_processes is None and got.scheduler == "Slurm"


def _env() -> dict[str, str]:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONUNBUFFERED": "1"}
    for name in ("XLA_FLAGS", "JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"):
        env.pop(name, None)   # one CPU device per process; the cluster only from the flags
    return env


def _command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", f"iclx.experiments.{EXPERIMENT}", "--preset=smoke", "--no-progress",
            f"--out={out}", *OVERRIDES, *extra]


def test_command_line_bad_setting_exits_2_before_anything(tmp_path, command_line, monkeypatch):
    from iclx.experiments import load

    for name in ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cluster, "detected_scheduler", lambda: "")
    code, lines = command_line(load(EXPERIMENT), "--preset=smoke", f"--out={tmp_path / 'runs'}",
                               "--distributed", "--num-processes=2")
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: --distributed:"), lines
    assert not (tmp_path / "runs").exists()


def test_coordinator_that_never_answers_times_out(tmp_path):
    t0 = time.monotonic()
    result = subprocess.run(
        _command(tmp_path / "runs", f"--coordinator=127.0.0.1:{_free_port()}", "--num-processes=2",
                 "--process-id=1", "--distributed-timeout=3"),
        capture_output=True, text=True, env=_env(), timeout=120, cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "the cluster did not form within 3 s" in result.stderr
    # it said what it waited for, when it would give up, and counted down
    assert "--distributed: waiting for the coordinator (process 0) at 127.0.0.1:" in result.stderr
    assert "giving up in 3 s (--distributed-timeout)" in result.stderr
    assert " s left" in result.stderr
    assert time.monotonic() - t0 < 90
    assert not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------- two processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(out: Path, cwd: Path, *extra: str) -> subprocess.Popen:
    cwd.mkdir(parents=True, exist_ok=True)
    log = open(cwd.parent / f"{cwd.name}.log", "w")   # noqa: SIM115 - closed with the process
    return subprocess.Popen(_command(out, *extra), stdout=log, stderr=subprocess.STDOUT, text=True,
                            env=_env(), cwd=cwd)


def _start_pair(out: Path, base: Path, tag: str) -> list[subprocess.Popen]:
    port = _free_port()
    return [_start(out, base / f"{tag}-p{i}", f"--coordinator=127.0.0.1:{port}", "--num-processes=2",
                   f"--process-id={i}", "--distributed-timeout=20") for i in range(2)]


def _run_dir(out: Path) -> Path | None:
    """The run folder the command writes into ``out`` (``<experiment>/smoke-<config hash>``)."""
    found = sorted(out.glob(f"{EXPERIMENT}/smoke-*"))
    return found[0] if found else None


def _wait_for_checkpoint(out: Path, procs: list[subprocess.Popen], timeout: float) -> int:
    """The step of the first committed checkpoint, or -1 if a process ended first / time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        steps = [int(p.parent.name) for p in out.glob(f"{EXPERIMENT}/smoke-*/ckpt/*/commit_success.txt")
                 if p.parent.name.isdigit()]
        if steps:
            return max(steps)
        if any(p.poll() is not None for p in procs):
            return -1
        time.sleep(0.05)
    return -1


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    if SKIP:
        pytest.skip("ICLX_SKIP_DISTRIBUTED is set: the two-process scenario was not run")
    base = tmp_path_factory.mktemp("distributed")
    logs: dict[str, str] = {}
    times: dict[str, float] = {}

    def wait_all(procs, tag, timeout=RUN_TIMEOUT_S):
        t0, codes = time.monotonic(), []
        for proc in procs:
            try:
                codes.append(proc.wait(timeout=max(1.0, timeout - (time.monotonic() - t0))))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                codes.append(None)
        for i in range(len(procs)):
            logs[f"{tag}-p{i}"] = (base / f"{tag}-p{i}.log").read_text()
        return codes

    # 1. the reference, one process, beside 2. two processes of which process 1 is killed once the
    # first checkpoint is committed
    t0 = time.monotonic()
    ref = _start(base / "ref", base / "ref-p0")
    out = base / "dist"
    pair = _start_pair(out, base, "killed")
    ckpt_step = _wait_for_checkpoint(out, pair, RUN_TIMEOUT_S)
    pair[1].send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    code0 = wait_all(pair[:1], "killed", LOST_PROCESS_TIMEOUT_S)[0]
    lost_after_s = time.monotonic() - killed_at
    wait_all(pair, "killed", 10)
    times["killed"] = time.monotonic() - t0
    codes = wait_all([ref], "ref")
    times["ref"] = time.monotonic() - t0
    assert codes == [0], logs["ref-p0"][-3000:]
    run_dir = _run_dir(out)
    killed = dict(ckpt_step=ckpt_step, code0=code0, lost_after_s=lost_after_s,
                  had_results=run_dir is not None and results.has_results(run_dir))
    # 3. the same two commands again: they resume from the checkpoint and finish
    t0 = time.monotonic()
    codes = wait_all(_start_pair(out, base, "rerun"), "rerun")
    times["rerun"] = time.monotonic() - t0
    print(f"distributed scenario wall times: {times}")
    return dict(base=base, ref_dir=_run_dir(base / "ref"), run_dir=run_dir, killed=killed,
                rerun_codes=codes, logs=logs)


@pytest.mark.slow
def test_killing_one_process_ends_the_other_with_a_clear_error(scenario):
    killed, logs = scenario["killed"], scenario["logs"]
    assert killed["ckpt_step"] > 0, "no checkpoint before a process ended:\n" + logs["killed-p0"][-3000:]
    assert killed["ckpt_step"] < STEPS, "the run ended before the kill"
    assert killed["code0"] not in (0, None), logs["killed-p0"][-3000:]
    assert killed["lost_after_s"] < LOST_PROCESS_TIMEOUT_S
    assert ("lost another process" in logs["killed-p0"]
            or "detected fatal errors" in logs["killed-p0"]), logs["killed-p0"][-3000:]
    assert not killed["had_results"]


@pytest.mark.slow
def test_rerun_resumes_and_only_process_0_writes(scenario):
    logs, run_dir, ref_dir = scenario["logs"], scenario["run_dir"], scenario["ref_dir"]
    assert scenario["rerun_codes"] == [0, 0], logs["rerun-p0"][-3000:] + logs["rerun-p1"][-3000:]
    scalars, _ = results.load_results(run_dir)
    stats = scalars["training"]["train_model"]
    assert stats["start_step"] == scenario["killed"]["ckpt_step"] > 0   # resumed, not restarted
    assert stats["end_step"] == STEPS
    env = scalars["environment"]
    assert env["process_count"] == 2 and env["device_count"] == 2 and env["platform"] == "cpu"
    assert "results:" in logs["rerun-p0"] and "results:" not in logs["rerun-p1"]
    base = scenario["base"]
    for tag in ("killed", "rerun"):   # process 1 wrote nothing in its own folder either
        assert not any((base / f"{tag}-p1").iterdir())
    # checkpoints hold host arrays written by process 0 only; every logged step once
    assert not list(run_dir.glob("ckpt/*/*/ocdbt.process_1"))
    steps = [r["step"] for r in results.read_jsonl(results.metrics_path(run_dir))]
    assert steps == list(range(CHUNK, STEPS + 1, CHUNK))
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(p.name for p in ref_dir.iterdir())


@pytest.mark.slow
def test_two_processes_give_the_one_process_results(scenario):
    ref_dir, run_dir = scenario["ref_dir"], scenario["run_dir"]
    ref_m = results.metrics_arrays(results.metrics_path(ref_dir))
    dist_m = results.metrics_arrays(results.metrics_path(run_dir))
    assert set(ref_m) == set(dist_m)
    np.testing.assert_array_equal(dist_m["step"], ref_m["step"])
    for name in set(ref_m) - {"step", "wall_s"}:
        assert dist_m[name].shape == ref_m[name].shape == (STEPS // CHUNK, 2), name
        np.testing.assert_allclose(dist_m[name], ref_m[name], rtol=RTOL, atol=ATOL, err_msg=name)
    ref_s, ref_a = results.load_results(ref_dir)
    dist_s, dist_a = results.load_results(run_dir)
    assert set(ref_a) == set(dist_a)
    for name in ref_a:
        np.testing.assert_allclose(dist_a[name], ref_a[name], rtol=RTOL, atol=ATOL, err_msg=name)
    skip = {"environment", "training", "wall_s", "command", "summary", "tables"}
    compared = _compare_numbers({k: v for k, v in ref_s.items() if k not in skip},
                                {k: v for k, v in dist_s.items() if k not in skip})
    assert compared > 10   # error_after_d, error_at_d, claims…


def _compare_numbers(ref, got, path: str = "") -> int:
    """Assert ``got`` has ``ref``'s structure, equal strings and numbers within rtol; returns the
    count of numbers compared."""
    if isinstance(ref, dict):
        assert isinstance(got, dict) and set(got) == set(ref), path
        return sum(_compare_numbers(ref[k], got[k], f"{path}.{k}") for k in ref)
    if isinstance(ref, list):
        assert isinstance(got, list) and len(got) == len(ref), path
        return sum(_compare_numbers(a, b, f"{path}[{i}]") for i, (a, b) in enumerate(zip(ref, got)))
    if isinstance(ref, (int, float)) and not isinstance(ref, bool):
        np.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL, err_msg=path)
        return 1
    assert got == ref, path
    return 0


def test_waiting_message_and_countdown_interval():
    lone = cluster.ClusterSettings("10.0.0.1:1234", 2, 0, timeout_s=300)
    assert cluster.waiting_for(lone) == "the other 1 process(es) to connect to this coordinator at 10.0.0.1:1234"
    other = cluster.ClusterSettings("10.0.0.1:1234", 2, 1, timeout_s=300)
    assert cluster.waiting_for(other).startswith("the coordinator (process 0) at 10.0.0.1:1234")
    assert [cluster.countdown_interval(t) for t in (3, 60, 300, 3600)] == [1.0, 6.0, 30.0, 30.0]
