"""What the registry lists of gd_vs_newton: its paper, its make targets, its dry-run cuts."""

from iclx.framework.catalog import DryRunCuts, Paper, Target

NAME = "gd_vs_newton"

PAPER = Paper("fu-newton", "Transformers Learn to Achieve Second-Order Convergence Rates for In-Context Linear "
              "Regression",
              "Fu, Chen, Jia, Sharan", 2023, "2310.17086", order=1)

TARGETS = (
    Target("gd-vs-newton", NAME, "experiments/gd_vs_newton",
           "Fu et al.: probes, SimE/SimW heatmaps, best Newton / GD step per layer, Table 1, LSTM",
           minutes="64 (loaded)"),
    Target("gd-vs-newton-converged", NAME, "experiments/gd_vs_newton/converged",
           "the same model trained ~3× longer, near least squares past n = d: Table 1 at convergence",
           preset="cpu-long", scale_of="gd-vs-newton", minutes="52"),
    Target("gd-vs-newton-illcond", NAME, "experiments/gd_vs_newton/ill_conditioned",
           "the same on ill-conditioned inputs (κ = 100), Figs 4/16",
           variant="ill_conditioned", minutes="49 (loaded)"),
    Target("gd-vs-newton-noisy", NAME, "experiments/gd_vs_newton/noisy",
           "the same with noisy labels (σ = 0.1), Fig 19",
           variant="noisy", minutes="46 (loaded)"),
)

DRY_RUN = DryRunCuts(
    fast=(("probe.n_batches", "4"), ("sim.n_prompts", "256"), ("simw.n_prompts", "2"),
          ("simw.n_queries", "20")),
    fast_reason=("probe fit on 4 × 64 prompts (not 2000 × 64), 256 simulation prompts (not 2048), SimW on"
                 " 2 prompts (not 320) with 20 query points each (not 200; d = 20 is the fewest the "
                 "induced-weight fit allows): CPU time (SimW runs the 12-layer model on 40 prefixes × the"
                 " queries of every prompt: ≈ 12 TFLOP per prompt at 200 queries)"),
)

ORDER = 2   # its place in `make help` and the report (lower first)
