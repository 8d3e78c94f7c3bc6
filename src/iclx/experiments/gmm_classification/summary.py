"""Numbers derived from saved arrays: the summary (lines, README tables) and the slopes the claims read."""

from __future__ import annotations

from typing import Any

import numpy as np

from iclx.framework.claims import fmt
from iclx.framework.experiment import runs_stage
from iclx.theory import gmm as gmm_theory


def stage_names(arrays) -> list[str]:
    return sorted({k.split("/")[1] for k in arrays if k.startswith("conv/")})


def minimizer_slope(cfg, arrays, c: int) -> float:
    Ns = np.asarray(cfg.minimizer.N_values, float)
    G = np.asarray(arrays[f"minimizer/G_c{c}"]).mean(0)
    sel = Ns >= cfg.minimizer.fit_from
    return gmm_theory.loglog_slope(Ns[sel], G[sel])


def M_slope(cfg, arrays) -> tuple[float, int]:
    """Slope of log TV vs log M for the largest training N, over M ≤ N/4 (the M^{-1/2} regime)."""
    Ns, Ms = list(cfg.convergence.N_values), np.asarray(cfg.eval.M_values, float)
    i = int(np.argmax(Ns))
    tv = np.asarray(arrays["error_M/tv"])[i].mean(0)
    sel = Ms <= Ns[i] / 4
    return gmm_theory.loglog_slope(Ms[sel], tv[sel]), int(sel.sum())


def floor_slope(cfg, arrays) -> float:
    """Slope of log TV(M = ∞) vs log N."""
    return gmm_theory.loglog_slope(np.asarray(cfg.convergence.N_values, float),
                                   np.asarray(arrays["error_M/tv_inf"]).mean(1))


def _convergence(arrays) -> tuple[list[str], dict[str, Any]]:
    lines, rows = [], []
    for stage in stage_names(arrays):
        meas = np.asarray(arrays[f"conv/{stage}/rate_measured"])
        theo = np.asarray(arrays[f"conv/{stage}/rate_theory"])
        r2 = np.asarray(arrays[f"conv/{stage}/r2"])
        final = np.asarray(arrays[f"conv/{stage}/dist"])[-1]
        rows.append([stage, fmt(float(np.min(r2)), 4), fmt(float(np.median(meas)), 5),
                     fmt(float(np.median(theo)), 5), fmt(float(np.max(final)), 2)])
        lines.append(f"{stage}: GD contraction per step measured {np.median(meas):.5f} vs predicted "
                     f"{np.median(theo):.5f} (min R² of log-distance line {np.min(r2):.4f})")
    return lines, {"convergence": {"columns": ["stage", "min R²", "median measured rate",
                                               "median predicted rate", "max final ‖W−W*‖/‖W*‖"],
                                   "rows": rows}}


def _minimizer(cfg, arrays) -> tuple[list[str], dict[str, Any]]:
    lines = [f"‖W*_N/c − Λ⁻¹‖_max vs N, c={c}: log-log slope {minimizer_slope(cfg, arrays, c):.3f} "
             "(theory −1)" for c in cfg.minimizer.classes]
    Ns = np.asarray(cfg.minimizer.N_values, float)
    sel = Ns >= cfg.minimizer.fit_from
    for name, what in (("tv_inf", "TV of W*_N at M=∞"), ("tv_diag", "TV of W*_N along M=N")):
        if f"minimizer/{name}" in arrays:
            tv = np.asarray(arrays[f"minimizer/{name}"]).mean(0)
            lines.append(f"{what} vs N ≥ {cfg.minimizer.fit_from}: slope "
                         f"{gmm_theory.loglog_slope(Ns[sel], tv[sel]):.3f}, "
                         + ", ".join(f"N={n:g}: {v:.4f}" for n, v in zip(Ns, tv)))
    return lines, {}


def _error_M(cfg, arrays) -> tuple[list[str], dict[str, Any]]:
    slope, k = M_slope(cfg, arrays)
    return [f"TV error vs M at N={max(cfg.convergence.N_values)}: slope {slope:.3f} over {k} "
            "values of M (theory −0.5)",
            f"TV error at M=∞ vs N: slope {floor_slope(cfg, arrays):.3f} (theory −1)"], {}


def _classes(cfg, arrays) -> tuple[list[str], dict[str, Any]]:
    cs = np.asarray(cfg.eval.classes, float)
    lines = []
    for name, what in (("tv", f"TV error vs c (N=M={cfg.eval.class_N})"),
                       ("tv_inf", f"TV of W*_N at M=∞ vs c (N={cfg.eval.class_N})"),
                       ("tv_limit", f"TV of cΛ⁻¹ (N=∞) vs c (M={cfg.eval.class_M})")):
        if f"classes/{name}" in arrays:
            tv = np.asarray(arrays[f"classes/{name}"]).mean(0)
            lines.append(f"{what}: " + ", ".join(f"c={c:g}: {v:.4f}" for c, v in zip(cs, tv))
                         + f" (log-log slope {gmm_theory.loglog_slope(cs, tv):.2f})")
    return lines, {}


def _gpt2(cfg, arrays) -> tuple[list[str], dict[str, Any]]:
    Ms, N = list(cfg.gpt2.M_values), cfg.task.n_points
    methods = [m for m in ("bayes", "linear", "gpt2", "lda_known", "lda_estimated", "logistic", "knn")
               if f"tokens/acc/{m}" in arrays]
    row = lambda name, m: [m] + [fmt(v, 3) for v in np.asarray(arrays[f"{name}/{m}"]).mean(0)]
    tables = {"accuracy_vs_M": {"columns": ["method"] + [f"M={m}" for m in Ms],
                                "rows": [row("tokens/acc", m) for m in methods]},
              "tv_vs_M": {"columns": ["method"] + [f"M={m}" for m in Ms],
                          "rows": [row("tokens/tv", m) for m in methods if m != "bayes"]}}
    lines = []
    for m in ("linear", "gpt2"):
        tv = np.asarray(arrays[f"tokens/tv/{m}"]).mean(0)
        lines.append(f"{m}: TV error at M=N={N}: {tv[Ms.index(N)]:.4f}, at M={Ms[-1]}: {tv[-1]:.4f}")
    for kind in ("mean", "cov"):
        scales = np.asarray(cfg.gpt2[f"{kind}_scales"], float)
        tables[f"shift_{kind}"] = {
            "columns": [f"TV error at M=N, {kind} scale"] + [f"{s:g}" for s in scales],
            "rows": [row(f"shift_{kind}/tv", m) for m in ("linear", "gpt2")]}
        if not np.any(np.isclose(scales, 1.0)):
            continue
        one = int(np.flatnonzero(np.isclose(scales, 1.0))[0])
        degradation = lambda m: np.asarray(arrays[f"shift_{kind}/tv/{m}"]).mean(0) - np.asarray(
            arrays[f"shift_{kind}/tv/{m}"]).mean(0)[one]
        tables[f"degradation_{kind}"] = {
            "columns": [f"TV − unshifted TV, {kind} scale"] + [f"{s:g}" for s in scales],
            "rows": [[m] + [fmt(v, 3) for v in degradation(m)] for m in ("linear", "gpt2")]}
    return lines, tables


def summarise(cfg, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """GD rates per stage, the W*-vs-N, M and N slopes, errors vs c and the GPT-2 contrast's tables,
    for the stages the run computed."""
    parts = (("convergence", lambda: _convergence(arrays)), ("minimizer", lambda: _minimizer(cfg, arrays)),
             ("error_vs_M", lambda: _error_M(cfg, arrays)), ("classes", lambda: _classes(cfg, arrays)),
             ("gpt2", lambda: _gpt2(cfg, arrays)))
    lines, tables = [], {}
    for stage, part in parts:
        if runs_stage(cfg, stage):
            more_lines, more_tables = part()
            lines += more_lines
            tables.update(more_tables)
    return {"summary": lines, "tables": tables}
