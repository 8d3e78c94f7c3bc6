"""What the registry lists of gmm_classification: its paper, its make targets, its dry-run cuts."""

from iclx.framework.catalog import DryRunCuts, Paper, Target

NAME = "gmm_classification"

PAPER = Paper("gmm", "On the Training Convergence of Transformers for In-Context Classification of Gaussian "
              "Mixtures",
              "Shen, Zhou, Yang, Shen", 2024, "2410.11778", order=3)

# the overrides of the paper-scale CPU slice (≤ 2 hours on 2 idle cores; measured times in
# benchmarks/README.md); it names itself in ``slice`` (the report's label for the run)
SLICE = (
    "--config.stages=convergence,minimizer,error_vs_M,classes",
    "--config.seeds=4",
    "--config.gpt2.seeds=4",
    "--config.train.steps=3000",
    "--config.train.checkpoint_every=3000",
    "--config.loss.bank=8192",
    "--config.train.batch_size=8192",
    "--config.minimizer.replicates=4",
    "--config.eval.n_prompts=32768",
    "--config.slice=CPU slice: no GPT-2 contrast; 4 seeds, 3000 of 10000 GD steps on 2^13 of 2^15 bank "
    "prompts, 4 of 10 W* banks, 2^15 of 2^17 evaluation prompts",
)

TARGETS = (
    Target("gmm", NAME, "experiments/gmm_classification",
           "Shen et al.: 1-layer linear attention on Gaussian mixtures: GD's linear rate, W* vs N, error "
           "vs M / N / c, 3-layer GPT-2 contrast and shifts, baselines",
           minutes="65 (loaded)"),
    Target("gmm-paper-slice", NAME, "experiments/gmm_classification/paper",
           "the paper preset on 2 CPU cores without the GPT-2 contrast (a GPU stage): convergence at d = "
           "20/10, c = 2/3, W* vs N to 10240, error vs M and c; 4 seeds, 3000 GD steps",
           preset="paper", scale_of="gmm", overrides=SLICE, order=8, minutes="68"),
)

DRY_RUN = DryRunCuts(
    fast=(("eval.n_prompts", "4096"), ("gpt2.n_prompts", "1024"), ("loss.newton_steps", "1"),
          ("minimizer.newton_steps", "1"), ("minimizer.bank", "2048"), ("gpt2.mean_scales", "1.0,3.0"),
          ("gpt2.cov_scales", "1.0,3.0")),
    fast_reason=("4096 evaluation prompts (not 131072), 1024 token prompts for the GPT-2 contrast (not "
                 "16384) and 2 of its 6 shift scales per kind (the unshifted 1 and 3), one Newton step "
                 "(not 12) for every W* reference and the W*-vs-N sweep on banks of 2048 statistics (not "
                 "8192): CPU time (one Newton step at d = 20 builds a 400 × 400 Hessian per bank, for "
                 "each of ~100 lanes, N and banks)"),
    non_finite=(
        ("conv/*/rate_measured", "NaN in a dry run: the GD rate is fit to ≥ 3 logged distances inside "
                                 "(1e-4, 0.1) of W*, and a few training steps log fewer"),
        ("conv/*/r2", "the R² of that fit, NaN with it"),
    ),
)

ORDER = 7   # its place in `make help` and the report (lower first)
