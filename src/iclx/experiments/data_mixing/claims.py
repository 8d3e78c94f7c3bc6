"""The paper's claims (Demir & Doğan 2025, arXiv 2510.25753) as checks on saved results.

Every statistic is computed from the Monte Carlo runs with a 95% jackknife interval over them
(``claims.estimate``); the verdict holds / fails / undecided comes from the whole interval. Each
claim carries a control: the same test on a reference that must not have the property (checks in
``claims_fig1``, ``claims_mixing``, ``claims_eta``; thresholds in ``claim_stats``). A claim about the
MLP's ICL performance is *not evaluable* while the MLP does not beat the zero predictor.
"""

from __future__ import annotations

from iclx import config
from iclx.framework.experiment import runs_stage
from iclx.framework.claims import Claim, needs_count, needs_values
from iclx.experiments.data_mixing import claims_eta as eta
from iclx.experiments.data_mixing import claims_fig1 as fig1
from iclx.experiments.data_mixing import claims_mixing as mix
from iclx.experiments.data_mixing.claim_stats import EQUIV_TOL, GAIN_LARGE, GAIN_NONE
from iclx.experiments.data_mixing.config import SYNTHETIC

def _rhos(path: str):
    """A claim's need of ρ = 0 and ρ = 1 among the ratios at ``path`` (it compares or reads them)."""
    return lambda cfg: needs_values(config.get_field(cfg, path), (0.0, 1.0), path)


def _etas(part: str):
    """A step-size claim's need of η = 0 and a larger η among ``<part>.eta_cs``, ρ = 1 among its ρ."""
    def needs(cfg) -> list[str]:
        etas = config.get_field(cfg, f"{part}.eta_cs")
        larger = [] if any(e > 0 for e in etas) else [f"an η > 0 among {part}.eta_cs"]
        return (needs_values(etas, (0.0,), f"{part}.eta_cs") + larger
                + needs_values(config.get_field(cfg, f"{part}.rhos"), (1.0,), f"{part}.rhos"))
    return needs


def _sweep(axis: str, count: int, control: str = ""):
    """A Fig 1 claim's need of ``count`` points along ``axis`` (and along its control's sweep)."""
    def needs(cfg) -> list[str]:
        out = needs_count(cfg.dimensions[f"{axis}_ratios"], count, f"dimensions.{axis}_ratios", "points")
        return out + (needs_count(cfg.dimensions[f"{control}_ratios"], count, f"dimensions.{control}_ratios",
                                  "points (the control's sweep)") if control else [])
    return needs


def _synthetic(cfg) -> list[str]:
    """The synthetic equivalence claim's need: one of the synthetic stages (any one: ``Claim.needs``
    asks for all it names)."""
    return [] if any(runs_stage(cfg, s) for s in SYNTHETIC) else [
        f"a synthetic stage ({', '.join(SYNTHETIC)}), which this run left out"]


CLAIMS = (
    Claim("mlp-beats-linear", "Transformers with MLPs outperform the linear transformer", "Fig. 1",
          "mean MLP ICL error below the linear model's at every grid point of the three sweeps "
          "(largest MLP / linear − 1 < 0)", fig1.mlp_beats_linear, paper_value="everywhere",
          needs=("dimensions",)),
    Claim("model-matches-equivalent", "The transformer with MLP matches its structured polynomial "
          "equivalent", "Figs. 1–3, Thm 4.12", f"relative gap ≤ {EQUIV_TOL:.0%} at 90% of the "
          "synthetic sweep points", fig1.equivalence(lambda a: [s for s in a if s != "real"]),
          paper_value="markers on lines", requires=_synthetic),
    Claim("double-descent-n", "Double descent in the number of training contexts n", "Fig. 1(a)",
          "interior peak > 10% above the error at a larger n (k fixed at d²/2), MLP and equivalent, "
          "every activation", fig1.double_descent("n"),
          needs=("dimensions",), requires=_sweep("n", 3, "ell")),
    Claim("double-descent-k", "Double descent in the MLP width k", "Fig. 1(c)",
          "interior peak > 10% above the error at a larger k, MLP and equivalent, every activation",
          fig1.double_descent("k"), needs=("dimensions",), requires=_sweep("k", 3)),
    Claim("decreasing-in-ell", "ICL error decreases with the context length ℓ", "Fig. 1(b)",
          "no rise > 5% between consecutive ℓ and lower at the largest ℓ", fig1.decreasing_in_ell,
          needs=("dimensions",), requires=_sweep("ell", 2, "k")),
    Claim("structured-input-helps", "More data from the source with structured input covariance "
          "lowers ICL error", "Fig. 2(a)", "largest θ_x curve: relative drop from ρ=0 to ρ=1 > 0",
          mix.rho_trend("mix_x"), needs=("mixing",), requires=mix.rho_trend_needs("mix_x")),
    Claim("structured-task-helps", "More data from the source with structured task covariance "
          "lowers ICL error", "Fig. 2(b)", "largest θ_ξ curve: relative drop from ρ=0 to ρ=1 > 0",
          mix.rho_trend("mix_xi"), needs=("mixing",), requires=mix.rho_trend_needs("mix_xi")),
    Claim("low-noise-helps", "More data from the low-noise source lowers ICL error", "Fig. 2(c)",
          "smallest Δ₁ curve: relative drop from ρ=0 to ρ=1 > 0", mix.rho_trend("mix_noise"),
          needs=("mixing",), requires=mix.rho_trend_needs("mix_noise")),
    Claim("quality-orders-curves", "The higher source 1's quality (spike, low noise), the lower the "
          "error", "Fig. 2 (curves)", "at ρ = 1, the error falls with every step up in quality, "
          "every panel", mix.curve_ordering, needs=("mixing",), requires=_rhos("mixing.rhos")),
    Claim("per-source-matches-equivalent", "Per-source errors match the equivalent model",
          "Figs. 4–6", f"per source, relative gap ≤ {EQUIV_TOL:.0%} at 90% of the Fig 2 points",
          mix.per_source_equivalence, needs=("mixing",)),
    Claim("per-source-trends-match", "Per-source errors follow the equivalent's trends in ρ",
          "Figs. 4–6", f"ρ = 0 → 1 relative change of MLP and equivalent within {EQUIV_TOL:.0%}, "
          "every panel, curve and source", mix.per_source_trends,
          needs=("mixing",), requires=_rhos("mixing.rhos")),
    Claim("no-feature-learning-isotropic-task", "Larger η does not reduce ICL error when task "
          "vectors are isotropic", "Fig. 3(a)", f"best gain of η > 0 on source 1 at ρ = 1 "
          f"< {GAIN_NONE:.0%}", eta.eta_gain("eta_x", "eta_xi", False),
          needs=("eta",), requires=_etas("eta")),
    Claim("feature-learning-structured-task", "Larger η gives large gains when the task covariance "
          "is structured", "Fig. 3(b)", f"best gain of η > 0 on source 1 at ρ = 1 ≥ {GAIN_LARGE:.0%}",
          eta.eta_gain("eta_xi", "eta_x", True), needs=("eta",), requires=_etas("eta")),
    Claim("eta-benefit-grows-with-rho", "The benefit of feature learning depends on the mixing "
          "ratio: more structured-task data, larger gain", "Fig. 3(b)", "best η gain on the ICL "
          "error larger at ρ = 1 than at ρ = 0", eta.eta_benefit_grows_with_rho,
          needs=("eta",), requires=lambda cfg: _etas("eta")(cfg) + _rhos("eta.rhos")(cfg)),
    Claim("real-model-matches-equivalent", "On real multilingual data the transformer matches its "
          "equivalent", "Fig. 3(c)", f"relative gap ≤ {EQUIV_TOL:.0%} at 90% of the sweep points",
          fig1.equivalence(lambda a: ["real"], real=True), needs=("real",)),
    Claim("real-eta-helps", "On real data larger η lowers ICL error", "Fig. 3(c)",
          f"best gain of η > 0 on English at ρ = 1 ≥ {GAIN_LARGE:.0%}", eta.real_eta_helps,
          needs=("real",), requires=_etas("real")),
    Claim("more-english-helps", "More English data lowers the ICL error", "Fig. 3(c)",
          "for every η, relative drop from ρ = 0 (German) to ρ = 1 (English) > 0",
          eta.more_english_helps, needs=("real",), requires=_rhos("real.rhos")),
)
