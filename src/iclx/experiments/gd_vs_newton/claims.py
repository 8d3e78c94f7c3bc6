"""Fu et al. 2023 (arXiv 2310.17086) as checks on a saved ``gd_vs_newton`` run.

Thresholds are fixed from the paper's statements, never from our runs; the tests are stated in
``claims_growth`` (Figs 3, 8–10: linear vs exponential growth of the best-matching step, with the
acceleration statistic that tells a straight line from a doubling curve), ``claims_table`` (Table 1
and Fig. 5: similarities at the best steps of the authors' grids, forgetting) and ``claims_extra``
(Theorem 5.1 by running the construction; Fig. 4 on ill-conditioned inputs).

Every claim carries a control, the same test on a reference that must not have the property: the
untrained transformer (each seed's initial parameters, probed like the trained one) for the growth
claims, least squares or online GD scored as a network for the similarity claims, least squares in
the LSTM's place for the LSTM's, the construction with linear attention for the theorem, label
averaging for the ill-conditioned errors. A trained network whose error past n = d does not beat label
averaging by ``claims_common.LEARNED_MARGIN`` has not learned the task: its claims are not evaluable.
"""

from __future__ import annotations

from iclx.framework.claims import Claim
from iclx.experiments.gd_vs_newton.claims_common import LEARNED_MARGIN, needs_lstm
from iclx.experiments.gd_vs_newton.claims_extra import (GD_THOUSANDS, ORDERS_OF_MAGNITUDE, PAPER_OVERHEAD,
                                                        AGREEMENT, gd_grids_reach_thousands,
                                                        ill_conditioned_gd_slow, theorem_newton_layers)
from iclx.experiments.gd_vs_newton.claims_growth import (ACCELERATION, GD_MIN_DOUBLINGS, MIN_MIDDLE_LAYERS,
                                                         MIN_R2, NEWTON_MIN_SLOPE, SIMW_MATCHED,
                                                         gd_exponential, newton_linear, simw_newton_linear)
from iclx.experiments.gd_vs_newton.claims_table import (lstm_forgets, lstm_nearer_ogd_than_tf,
                                                        lstm_prefers_ogd, tf_newton_over_gd,
                                                        tf_newton_over_ogd)

LEARNED = f"not evaluable unless the network beats label averaging by {LEARNED_MARGIN} (error ÷ d, n ≥ d)"
PHASE = f"over the growth phase (≥ {MIN_MIDDLE_LAYERS} layers) of the seed-mean best-match curve"
LINEAR = (f"{PHASE}: slope ≥ {NEWTON_MIN_SLOPE:g} iteration/layer, R² of a line ≥ {MIN_R2}, acceleration "
          f"(later ÷ earlier mean increment; 1 for a line, ≥ 4 for doubling) < {ACCELERATION:g} (read on log₂)")

CLAIMS = (
    Claim("newton-linear-in-layer",
          "The best-matching Iterative Newton iteration grows linearly with the layer index",
          "Figs 3, 8 (§4.2)", f"SimE: {LINEAR}; control: the untrained transformer; {LEARNED}",
          newton_linear, paper_value="≈ +3 iterations per layer over layers 3–9 (1, 1, 2, 5, 8, 10, 14, "
                                     "17, 20, 21, 21, 21; acceleration 0.875)"),
    Claim("gd-exponential-in-layer",
          "The best-matching number of GD steps grows exponentially with the layer index",
          "Figs 3, 10 (§4.2)",
          f"SimE, log₂ grid, {PHASE}: slope of log₂(steps) ≥ {GD_MIN_DOUBLINGS:g} doublings/layer, R² of "
          f"that line ≥ {MIN_R2}, acceleration ≥ {ACCELERATION:g} (read on log₂); control: the untrained "
          f"transformer; {LEARNED}",
          gd_exponential, paper_value="≈ one doubling per layer (1, 1, 4, 8, 32, 64, 256, 512–1024, "
                                      "1024–2048, 4096, …; acceleration 64)"),
    Claim("simw-newton-linear-in-layer",
          "Under the similarity of induced weights too, the best-matching Newton iteration grows "
          "linearly with the layer (layers 1–2 match nothing)", "Fig. 9",
          f"SimW: layers whose best SimW < {SIMW_MATCHED} are skipped; {LINEAR}; control: the untrained "
          f"transformer; {LEARNED}",
          simw_newton_linear, paper_value="—, —, 2, 5, 8, 11, 14, ≥ 15 (max SimW .974)"),
    Claim("tf-closer-to-newton-than-gd",
          "The transformer's output is more similar to Iterative Newton than to GD",
          "Table 1",
          "SimE(transformer, Newton) − SimE(transformer, GD), each at its best step of the authors' grids "
          "(Newton 1..23, GD {1, 50, …, 1300} ∪ {2⁰..2¹²}), minus the same gap of least squares scored as a "
          f"network: seed mean > 0; control: least squares' own gap; {LEARNED}",
          tf_newton_over_gd, paper_value="Newton .991 vs GD .957"),
    Claim("tf-far-from-online-gd",
          "The transformer's output is much less similar to online GD than to Iterative Newton",
          "Table 1",
          f"SimE(transformer, Newton) − SimE(transformer, online GD): seed mean > 0; control: online GD "
          f"itself scored as a network; {LEARNED}",
          tf_newton_over_ogd, paper_value="Newton .991 vs online GD .806"),
    Claim("lstm-closest-to-online-gd",
          "The LSTM behaves like online GD rather than Newton or GD",
          "Table 1, Fig 5",
          "SimE(LSTM, online GD) − max(SimE(LSTM, Newton), SimE(LSTM, GD)): seed mean > 0; control: "
          f"least squares scored as a network; {LEARNED}",
          lstm_prefers_ogd, paper_value="online GD .954 vs Newton .920, GD .916",
          requires=needs_lstm),
    Claim("lstm-nearer-online-gd-than-tf",
          "The LSTM is closer to online GD than the transformer is",
          "Table 1",
          "SimE(LSTM, online GD) − SimE(transformer, online GD), same seed and prompts: seed mean > 0; "
          f"control: least squares in the LSTM's place; {LEARNED}",
          lstm_nearer_ogd_than_tf, paper_value="LSTM .954 vs transformer .806",
          requires=needs_lstm),
    Claim("lstm-forgets-old-examples",
          "The LSTM forgets in-context examples seen long ago; the transformer does not",
          "Fig. 5 right",
          "error on a query that re-uses the example g back, mean over the older half of the gaps − the "
          "newer half: > 0 for the LSTM and larger than the transformer's (seed means); control: least "
          f"squares in the LSTM's place; {LEARNED}",
          lstm_forgets, paper_value="LSTM and online GD worse on older examples; transformer flat",
          requires=needs_lstm),
    Claim("theorem-newton-in-k-plus-const-layers",
          "A transformer with ReLU attention runs k Iterative Newton iterations in k + O(1) layers",
          "Thm 5.1",
          f"the construction (ReLU attention, α per prompt, float64) on prompts of the run's task: the "
          f"smallest c such that block k + c agrees with k Newton iterations (relative {AGREEMENT:g}) for "
          f"every k = 1..sim.newton_max is ≤ {PAPER_OVERHEAD}; control: the same weights with linear attention",
          theorem_newton_layers, paper_value="k + 8 layers"),
    Claim("ill-conditioned-gd-needs-thousands",
          "On ill-conditioned inputs (κ = 100) GD needs thousands of steps to reach the transformer's "
          "error, Iterative Newton about twenty", "Fig. 4 (§4.3)",
          f"at the last position: log₁₀(first GD step reaching the transformer's error) ≥ {GD_THOUSANDS:g} "
          f"and log₁₀(GD steps ÷ Newton iterations) ≥ {ORDERS_OF_MAGNITUDE:g} (seed means); control: label "
          f"averaging in the transformer's place; {LEARNED}; ill-conditioned variant only",
          ill_conditioned_gd_slow, paper_value="GD ~2,000 steps, Newton ~21 iterations",
          requires=gd_grids_reach_thousands),
)
