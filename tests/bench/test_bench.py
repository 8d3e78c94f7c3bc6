"""The benchmark runs in smoke mode and writes valid JSON (no timing asserts)."""

import json
import math

import jax
import jax.numpy as jnp
import pytest

from iclx.bench import cases, timing


@pytest.mark.slow
def test_smoke_bench_writes_valid_json(tmp_path):
    out = tmp_path / "bench.json"
    assert timing.main(["--mode=smoke", "--repeats=1", f"--out={out}"]) == 0
    report = json.loads(out.read_text())
    assert report["mode"] == "smoke" and report["environment"]["jax"]
    records = report["records"]
    assert {(r["seeds"], r["chunk_steps"]) for r in records} == {(1, 5), (2, 5), (1, 1)}
    for r in records:
        for field in ("compile_s", "step_s", "steps_per_s", "examples_per_s", "flops_per_step"):
            assert math.isfinite(r[field]) and r[field] > 0, field
        assert r["compiled_bytes"] is None or r["compiled_bytes"] > 0
    scaling = {s["seeds"]: s["time_vs_one_seed"] for s in report["seed_scaling"]}
    assert scaling[1] == 1.0 and scaling[2] > 0


def test_bad_arguments_exit_2(capsys):
    assert timing.main(["--mode=smoke", "--repeats=0"]) == 2
    assert timing.main(["--mode=smoke", "--dtypes=float16"]) == 2


def test_flops_formula_matches_six_n_t_for_the_dense_part():
    """Without the attention-score term, training FLOPs ≈ 6 × (block + read-in/out weights) × tokens."""
    case = cases.CASES["cpu"][1]
    e, tokens = case.n_embd, 2 * case.n_points
    weights = case.n_layer * 12 * e * e + case.n_dims * e
    dense_only = 6 * weights * tokens * case.batch_size
    attention = 3 * case.batch_size * tokens * case.n_layer * 4 * tokens * e
    assert timing.flops_per_step(case) == pytest.approx(dense_only + attention, rel=0.01)


def test_torch_reference_has_the_same_model():
    torch = pytest.importorskip("torch")
    import jax
    import jax.numpy as jnp

    from iclx.bench import torch_reference
    from iclx.models import gpt2

    case = cases.CASES["cpu"][0]
    cfg = cases.case_config(case)
    params = gpt2.build(cfg.model, case.n_dims).init(
        jax.random.key(0), jnp.zeros((1, case.n_points, case.n_dims)), jnp.zeros((1, case.n_points)))
    reference = torch_reference.GPT2ICL(case.n_dims, 2 * case.n_points, case.n_layer, case.n_head, case.n_embd)
    assert gpt2.count_params(params) == torch_reference.count_params(reference)
    timing = torch_reference.time_training_step(case, repeats=1, steps=2)
    assert timing["step_s"] > 0 and timing["torch_version"] == torch.__version__


def test_attention_case_times_the_lipschitz_sweep_program():
    case = cases.AttentionCase("lipschitz-tiny", n_features=3, n_points=8, batch_size=16, chunk_steps=3)
    record = timing.time_engine(case, n_seeds=2, chunk_steps=3, repeats=1)
    assert record["case"] == "lipschitz-tiny" and record["seeds"] == 2
    assert record["examples_per_s"] == pytest.approx(record["steps_per_s"] * 16 * 2)
    assert record["flops_per_step"] is None and record["mfu"] is None
    assert "TFLOP/s" in timing._row(record)


@pytest.mark.slow    # trains two seeds: part of the bench, as test_smoke_bench_writes_valid_json
def test_time_to_eps_records_steps_and_seconds_per_seed():
    from iclx.bench import time_to_eps

    recipe = time_to_eps.Recipe.of("smoke", (("train.steps", "40"),), seeds=2, preset="smoke")
    record = time_to_eps.run_recipe(recipe, eval_every=20, n_eval=64, log=lambda line: None)
    assert record["steps_run"] == 40 and [p["step"] for p in record["curve"]] == [20, 40]
    assert len(record["curve"][0]["error_after_d"]) == 2
    for eps in ("0.05", "0.01"):
        for seed in record["time_to_eps"][eps]:
            assert seed["step"] is None or seed["step"] in (20, 40)
    assert record["seconds_per_step_one_seed"] > 0


def test_hlo_ops_name_the_kind_and_phase_of_each_op():
    from iclx.bench import profile

    def step(w, key):
        x = jax.random.normal(key, (8, 4))
        return jax.grad(lambda w: jnp.sum(jnp.tanh(x @ w.T) ** 2))(w)

    compiled = jax.jit(step).lower(jnp.ones((3, 4)), jax.random.key(0)).compile()
    ops = profile.hlo_ops(compiled.as_text())
    kinds = {o["kind"] for o in ops.values()}
    assert {"matmul", "random bits"} <= kinds
    assert {o["phase"] for o in ops.values() if o["kind"] == "random bits"} == {"prompt sampling"}
    assert "backward" in {o["phase"] for o in ops.values() if o["kind"] == "matmul"}


def test_profile_of_the_smoke_step_accounts_for_its_op_time():
    from iclx.bench import profile

    case = cases.CASES["smoke"][0]
    compiled, args, flops, _ = timing.compile_chunk(case, 1, 3)
    prof = profile.profile_compiled(compiled, args, 3, calls=1)
    assert prof["op_ms_per_step"] > 0 and prof["wall_ms_per_step"] > 0 and flops > 0
    for field in ("by_kind", "by_phase"):
        assert sum(v["share"] for v in prof[field].values()) == pytest.approx(1.0)
    assert "matmul" in prof["by_kind"] and "?" not in prof["by_kind"]
    assert prof["top_ops"][0]["ms_per_step"] >= prof["top_ops"][-1]["ms_per_step"]
    assert case.name in profile.format_profile(case.name, prof)


def test_ab_table_lists_every_setting_and_round(tmp_path):
    from iclx.bench import ab

    def report(steps: float) -> dict:
        rec = {"case": "gpt2-cpu", "seeds": 1, "chunk_steps": 50, "dtype": "float32",
               "steps_per_s": steps, "examples_per_s": 64 * steps}
        return {"records": [rec, {**rec, "seeds": 3, "examples_per_s": 3 * 64 * steps}],
                "torch": [{"case": "gpt2-cpu", "step_s": 0.025}]}

    for name, steps in (("s1-r1", 30.0), ("s2-r1", 40.0), ("s1-r2", 31.0), ("s2-r2", 41.0)):
        (tmp_path / f"{name}.json").write_text(json.dumps(report(steps)))
    rows = ab.rows(ab.load_rounds(tmp_path, 2), ["one device", "two devices"])
    assert rows[0] == ["gpt2-cpu", "1", "50", "one device", "30, 31", "1,920, 1,984", "40, 40"]
    assert rows[3][:5] == ["gpt2-cpu", "3", "50", "two devices", "40, 41"] and rows[3][6] == ""
