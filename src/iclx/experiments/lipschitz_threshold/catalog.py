"""What the registry lists of lipschitz_threshold: its paper, its make targets, its dry-run cuts."""

from iclx.framework.catalog import DryRunCuts, Paper, Target

NAME = "lipschitz_threshold"

PAPER = Paper("lipschitz", "Provable In-Context Learning of Nonlinear Regression with Transformers",
              "Li, Duan, Liang", 2025, "2507.20443", order=2)

# the overrides of the paper-scale CPU slice (≤ 2 hours on 2 idle cores; measured times in
# benchmarks/README.md); it names itself in ``slice`` (the report's label for the run)
SLICE = (
    "--config.seeds=2",
    "--config.dynamics.L_over_threshold=0.25,4",
    "--config.train.steps=10000",
    "--config.train.chunk_steps=5000",
    "--config.sweep.L_values=8,24,64,192",
    "--config.sweep.scalings=amplitude",
    "--config.sweep.rhos=0",
    "--config.sweep.rules=theory",
    "--config.sweep.train.steps=10000",
    "--config.sweep.train.chunk_steps=5000",
    "--config.slice=CPU slice: 2 seeds, 10000 of 100000 steps, sweep L = 8, 24, 64, 192 (amplitude, ρ = 0)",
)

TARGETS = (
    Target("lipschitz", NAME, "experiments/lipschitz_threshold",
           "attention dynamics (Fig 1a/1b), steps-to-ε vs L across the threshold, attention maps",
           minutes="5"),
    Target("lipschitz-paper-slice", NAME, "experiments/lipschitz_threshold/paper",
           "the paper preset's sizes on 2 CPU cores: the dynamics runs and the threshold sweep at L "
           "values below, near and above L*",
           preset="paper", scale_of="lipschitz", overrides=SLICE, order=9, minutes="18"),
)

DRY_RUN = DryRunCuts(
    shrink=(("sweep.L_values", "1.0,5.656854249492381,32.0,128.0,512.0,2896.309375740099"),),
    shrink_reason=("the sweep at 6 of its 24 L values (2^(k/2), k = 0, 5, 10, 14, 18, 23): every (L, "
                   "scaling, ρ, rule, seed) is a lane of one program, ~18 MiB each at the paper's bank of"
                   " 4096 prompts, and all 24 (≈ 1000 lanes, ≈ 18 GiB) do not fit beside other work in 24"
                   " GiB; the prediction scales the sweep's lanes, FLOPs and memory back by 4"),
    lane_factor={"sweep": 4.0},
    fast=(("theory.n_grid", "25"), ("theory.n_z", "17")),
    fast_reason=("the theory tables on 25 L grid points (not 97) and 17 path points (not 65): CPU time "
                 "(they took > 7 CPU minutes before the first training step)"),
    non_finite=(
        ("theory.*.L_sat", "NaN when σ²(L) never saturates on the theory grid (e.g. the linear family: "
                           "its gap variance stays quadratic in L)"),
        ("theory.*/dilation/*.L_star", "NaN: no threshold L* (η_flat·β(L) never reaches 1) under dilation"
                                       " scaling, whose label variance stays bounded"),
        ("theory.*/dilation/*.c", "c = L*Δδ, NaN with L*"),
    ),
)

ORDER = 4   # its place in `make help` and the report (lower first)
