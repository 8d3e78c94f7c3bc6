"""What the registry lists of deep_optimizers: its paper, its make targets, its dry-run cuts."""

from iclx.framework.catalog import DryRunCuts, Paper, Target

NAME = "deep_optimizers"

PAPER = Paper("deep-opt", "Transformers are Deep Optimizers: Provable In-Context Learning for Deep Model Training",
              "Wu, Su, Hu, Song, Liu", 2024, "2411.16549", order=5)

TARGETS = (
    Target("deep-opt", NAME, "experiments/deep_optimizers",
           "Wu et al.: softmax / ReLU-attention GPT-2 learning deep ReLU nets in context: R² vs examples "
           "under input-mixture and parameter shifts, N-layer NN baseline, depth sweep",
           minutes="40 (loaded)"),
)

DRY_RUN = DryRunCuts(
    fast=(("eval.n_prompts", "256"), ("baseline.n_prompts", "8")),
    fast_reason=("256 evaluation prompts (not 6400), the trained-network baseline on 8 (not 6400): CPU time"),
)

ORDER = 6   # its place in `make help` and the report (lower first)
