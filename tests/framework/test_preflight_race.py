"""Runs that start at once under one fresh ``--out`` (two xdist workers' smoke runs, `make
reproduce-all JOBS=2` into a new runs/) must not fail each other's folder check: the check probes with
a uniquely named folder, never with the shared missing parent itself."""

import threading

from iclx.framework import preflight


def test_the_folder_check_leaves_nothing_and_never_makes_the_folder_itself(tmp_path):
    assert preflight.folder_problem("--out", tmp_path / "runs" / "exp" / "smoke-1") is None
    assert list(tmp_path.iterdir()) == []


def test_concurrent_starts_under_one_fresh_out_all_pass_their_check(tmp_path):
    problems: list[str] = []

    def start(out, name: str, barrier: threading.Barrier) -> None:
        run_dir = out / name / "smoke-0"
        barrier.wait()
        for folder in (out, run_dir):
            if problem := preflight.folder_problem("--out", folder):
                problems.append(problem)
        run_dir.mkdir(parents=True, exist_ok=True)   # what a run does once its checks pass

    for round_ in range(30):
        out = tmp_path / f"out{round_}" / "runs"
        barrier = threading.Barrier(4)
        threads = [threading.Thread(target=start, args=(out, f"exp{i}", barrier)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert problems == []
