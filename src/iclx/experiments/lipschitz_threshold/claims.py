"""Claims of Li, Duan, Liang 2025 (arXiv 2507.20443) as checks on a saved Lipschitz-threshold run.

The paper's body (its definitions of Δ, δ, the theorems' step sizes and times T_f*, T_s*) was not
readable to us (``claims_sweep.UNREAD``): "of the same order" (Θ) is read as within a factor
``ORDER = 2`` either way, the regime boundary is our L* (the step rule's threshold,
``iclx.theory.lipschitz``), and a claim that needs the paper's own formulas is not evaluable. In our
model GD at (η, L) equals GD at (ηL², 1) for an amplitude family, so any comparison of convergence
times across L is decided by the step sizes: the checks say so instead of passing or failing on it.

Each check reads only results.json's scalars (``theory``, ``lanes``, ``dynamics_points``), arrays.npz
and the run's config, and attaches a control (the same test on a reference that must not have the
property). Per-seed statistics carry their 95% interval over the seeds (delete-one-seed jackknife);
theory constants have no replicates (exact). The sweep/theory checks live in ``claims_sweep``, the
dynamics/attention ones in ``claims_dynamics``. A claim ``needs`` the training stage it reads (a run
restricted by ``stages`` that left it out says not evaluable); the theory tables are in every run, and
the two crossover claims read the dynamics runs only for their control (without them: no control).
"""

from __future__ import annotations

from iclx.framework.claims import Claim
from iclx.experiments.lipschitz_threshold import claims_dynamics as dyn, claims_sweep as swp
from iclx.experiments.lipschitz_threshold.claims_sweep import ORDER, SLOPE_TOL

CLAIMS = (
    Claim("sharp-run-faster",
          "The sharp-regime run converges faster than the flat-regime run",
          "Fig. 1(b) vs 1(a) (as reviewer R1 reads them)",
          "not evaluable while Fig. 1's step sizes are unknown: steps to relative ε scale as 1/(ηL²) "
          "in our model, so the ratio is set by the step sizes (the row gives measured and predicted); "
          "control: the ratio the step sizes alone predict",
          dyn.sharp_run_faster, paper_value="sharp faster (no numbers public)", needs=("dynamics",)),
    Claim("flat-faster-high-accuracy",
          "The flat regime may yield faster convergence when a high level of accuracy is required",
          "abstract v1; Thms 1–2",
          "T_f*(ε) ÷ T_s*(ε) < 1 at the smallest ε, with Thms 1–2's step sizes and times (unread: "
          "not evaluable); control: the same test on our two runs' steps to ε", swp.flat_faster_at_high_accuracy),
    Claim("sharp-faster-loose-accuracy",
          "If L is significantly larger relative to the desired accuracy, training is faster in the "
          "sharp regime", "abstract v1; Thms 1–2",
          "T_s*(ε) ÷ T_f*(ε) < 1 at the loosest ε, with Thms 1–2's step sizes and times (unread: "
          "not evaluable); control: the same test on our two runs' steps to ε", swp.sharp_faster_at_loose_accuracy),
    Claim("threshold-location",
          "A threshold on L separates the flat and the sharp regime", "abstract; Thms 1–2",
          f"knee L̂* of steps-to-ε vs L (amplitude, relative ε) ÷ the theory's L* (η_flat·β(L*) = 1) "
          f"within [1/{ORDER:g}, {ORDER:g}] (the worst ρ); control: the common-η lanes (without them: the times "
          "paired with L in reverse order)",
          swp.measured_threshold, paper_value="L* = Θ(1/(Δδ)), constant not public", needs=("sweep",)),
    Claim("threshold-constant",
          "The threshold is of order Θ(1/(Δδ))", "abstract",
          f"within each feature family whose 1/(Δδ) spans ≥ {swp.MIN_SPAN:g}×: log–log slope of L* "
          f"against 1/(Δδ) within 1 ± {SLOPE_TOL:.2f} (c = L*Δδ moves ≤ {ORDER:g}× per decade); "
          "control: L* paired in reverse order",
          swp.threshold_form, paper_value="Θ(1/(Δδ)): slope 1"),
    Claim("time-bound",
          "Gradient descent reaches near-zero loss in polynomial time, within the regime's bound",
          "Thms 1–2",
          f"measured steps to ε / our continuous-time T*(ε) (polynomial in 1/ε; the paper's T_f*, T_s* "
          f"are unread) in [1/{ORDER:g}, {ORDER:g}] on every uncensored theory-rule sweep point; "
          "control: T* paired in reverse order of L", swp.time_bound_ratio,
          paper_value="polynomial-time bounds, constants not public", needs=("sweep",)),
    Claim("two-phase-dynamics",
          "Attention on the target feature first grows rapidly, then converges slowly to one, while "
          "attention to irrelevant features decays with oscillation", "abstract; Fig. 1",
          f"every resolved phase (≥ {dyn.MIN_PHASE_POINTS} logged points), in halvings of the gap "
          "1 − a: phase 1 speeds up (t(m→½)/t(a₀→m) < 1), phase 2 slows down "
          "(t(¾→⅞)/t(½→¾) > 1), the most attended other feature rises then falls; control: a "
          "one-phase exponential approach (1, 1, monotone)",
          dyn.two_phase_dynamics, paper_value="two phases (no numbers public)", needs=("dynamics",)),
    Claim("attention-on-own-feature",
          "Query tokens ultimately focus on the prompt tokens of their own feature, also for "
          "unseen functions", "abstract v2",
          f"final Q of every dynamics run (once its MSE is ≤ {dyn.LEARNED_RATIO:g}× uniform "
          f"attention's): the smallest seed-mean attention on the own feature over regimes and "
          f"families ≥ {dyn.OWN_FEATURE:g} on fresh noisy prompts; control: uniform attention (1/K)",
          dyn.attention_on_own_feature, paper_value="→ 1", needs=("dynamics",)),
)
