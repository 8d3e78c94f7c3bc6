"""What a dry run changes in a preset, and why: evaluation sizes that do not fit a 24 GiB machine
(``SHRINK``), evaluation counts cut for CPU time under ``--fast`` (``FAST``), and the numbers that are
NaN by definition in a few-step run (``ALLOWED_NON_FINITE``). Training shapes are never changed."""

from __future__ import annotations

# experiment -> ((config path, value), ...), reason: what the dry run must shrink to fit 24 GiB of host
# memory. Only evaluation / simulation sizes, never training shapes; empty where everything fits.
SHRINK: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "lipschitz_threshold": (
        (("sweep.L_values", "1.0,5.656854249492381,32.0,128.0,512.0,2896.309375740099"),),
        "the sweep at 6 of its 24 L values (2^(k/2), k = 0, 5, 10, 14, 18, 23): every (L, scaling, ρ, "
        "rule, seed) is a lane of one program, ~18 MiB each at the paper's bank of 4096 prompts, and all "
        "24 (≈ 1000 lanes, ≈ 18 GiB) do not fit beside other work in 24 GiB; the prediction scales the "
        "sweep's lanes, FLOPs and memory back by 4"),
}
# stage -> factor by which SHRINK cut its lanes (the prediction multiplies them back)
LANE_FACTOR: dict[str, dict[str, float]] = {"lipschitz_threshold": {"sweep": 4.0}}

# --fast: counts (not shapes) of evaluation / simulation repetitions cut so that a whole paper dry run
# fits in well under an hour of a shared 2-core CPU; prompt shapes, model sizes, batch sizes and the
# training lanes stay the preset's. Without --fast only SHRINK applies.
FAST: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "gmm_classification": ((("eval.n_prompts", "4096"), ("gpt2.n_prompts", "1024"),
                            ("loss.newton_steps", "1"), ("minimizer.newton_steps", "1"),
                            ("minimizer.bank", "2048"), ("gpt2.mean_scales", "1.0,3.0"),
                            ("gpt2.cov_scales", "1.0,3.0")),
                           "4096 evaluation prompts (not 131072), 1024 token prompts for the GPT-2 "
                           "contrast (not 16384) and 2 of its 6 shift scales per kind (the unshifted 1 and 3), one Newton step "
                           "(not 12) for every W* reference and "
                           "the W*-vs-N sweep on banks of 2048 statistics (not 8192): CPU time (one "
                           "Newton step at d = 20 builds a 400 × 400 Hessian per bank, for each of "
                           "~100 lanes, N and banks)"),
    "lipschitz_threshold": ((("theory.n_grid", "25"), ("theory.n_z", "17")),
                            "the theory tables on 25 L grid points (not 97) and 17 path points (not "
                            "65): CPU time (they took > 7 CPU minutes before the first training step)"),
    "gd_vs_newton": ((("probe.n_batches", "4"), ("sim.n_prompts", "256"), ("simw.n_prompts", "2"),
                      ("simw.n_queries", "20")),
                     "probe fit on 4 × 64 prompts (not 2000 × 64), 256 simulation prompts (not 2048), "
                     "SimW on 2 prompts (not 320) with 20 query points each (not 200; d = 20 is the "
                     "fewest the induced-weight fit allows): CPU time (SimW runs the 12-layer model on "
                     "40 prefixes × the queries of every prompt: ≈ 12 TFLOP per prompt at 200 queries)"),
    "deep_optimizers": ((("eval.n_prompts", "256"), ("baseline.n_prompts", "8")),
                        "256 evaluation prompts (not 6400), the trained-network baseline on 8 (not "
                        "6400): CPU time"),
    "data_mixing": ((("seeds", "1"), ("dimensions.activations", "relu"), ("dimensions.n_ratios", "0.5"),
                     ("dimensions.ell_ratios", "1.0"), ("dimensions.k_ratios", "1.0"),
                     ("mixing.rhos", "0.0,1.0"), ("mixing.x_theta_over_sqrt_d", "4.0"),
                     ("mixing.xi_theta_over_d", "10.0"), ("mixing.noise1", "0.2"),
                     ("eta.rhos", "0.0,1.0"), ("eta.eta_cs", "0.0,1.0")),
                    "one seed and one or two points per curve at the paper's d = 80 (each lane solves "
                    "a 6480 × 6480 system in float64): CPU time"),
}

# experiment -> ((pattern of a results.json path, reason), ...): numbers that are NaN by definition
ALLOWED_NON_FINITE: dict[str, tuple[tuple[str, str], ...]] = {
    "lipschitz_threshold": (("theory.*.L_sat", "NaN when σ²(L) never saturates on the theory grid "
                             "(e.g. the linear family: its gap variance stays quadratic in L)"),
                            ("theory.*/dilation/*.L_star", "NaN: no threshold L* (η_flat·β(L) never "
                             "reaches 1) under dilation scaling, whose label variance stays bounded"),
                            ("theory.*/dilation/*.c", "c = L*Δδ, NaN with L*")),
    "gmm_classification": (("conv/*/rate_measured", "NaN in a dry run: the GD rate is fit to ≥ 3 logged "
                            "distances inside (1e-4, 0.1) of W*, and a few training steps log fewer"),
                           ("conv/*/r2", "the R² of that fit, NaN with it")),
}
