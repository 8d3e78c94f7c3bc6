"""Figures from saved results only (never imports run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from iclx import engine
from iclx.framework import plotting
from iclx.framework.experiment import runs_stage

NAMES = {"bayes": "Bayes oracle", "linear": "1-layer linear attention", "gpt2": "3-layer GPT-2",
         "lda_known": "LDA, known Λ", "lda_estimated": "LDA, estimated Λ",
         "logistic": "logistic regression", "knn": "k-NN", "nn1": "1-NN",
         "label_mean": "label averaging"}


def _convergence(cfg, scalars, arrays, fig_dir) -> list[Path]:
    stages = scalars["convergence_stages"]
    with plotting.style():
        fig, axes = plotting.new_figure(len(stages), width=3.4, height=2.8)
        for ax, stage in zip(axes[0], stages):
            dist = np.asarray(arrays[f"conv/{stage}/dist"])
            theory = np.asarray(arrays[f"conv/{stage}/rate_theory"])
            labels = scalars["lanes"][stage]
            Ns = sorted({lab["N"] for lab in labels})
            t = np.asarray(arrays[f"conv/{stage}/step"])          # the step of each logged distance
            for color, N in zip(plotting.colors(len(Ns) + 1)[1:], Ns):
                idx = engine.select_lanes(labels, N=N)
                plotting.band_plot(ax, t, dist[:, idx].T, label=f"N={N}", color=color, log=True)
                rate = float(np.mean(theory[idx]))
                ax.plot(t, np.exp(np.log(rate) * t), color=color, linestyle=":", linewidth=1.0)
            ax.set_yscale("log")
            ax.set_ylim(1e-7, 2)
            ax.set_xlabel("GD iteration t")
            d, c = labels[0]["d"], labels[0]["c"]
            ax.set_title(f"d={d}, c={c}")
        axes[0][0].set_ylabel("‖W_t − W*‖_F / ‖W*‖_F")
        axes[0][-1].legend(title="dotted: (max|1−ηλ|)^t")
        fig.suptitle("Full-batch GD on the bank loss: linear convergence to W* "
                     f"({plotting.band_caption(cfg.seeds)})", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "convergence")


def _minimizer(cfg, scalars, arrays, fig_dir) -> list[Path]:
    Ns = np.asarray(cfg.minimizer.N_values, float)
    with plotting.style():
        fig, axes = plotting.new_figure(1, width=3.8, height=3.0)
        ax = axes[0][0]
        for color, c in zip(plotting.colors(4)[1:], cfg.minimizer.classes):
            G = np.asarray(arrays[f"minimizer/G_c{c}"])
            plotting.band_plot(ax, Ns, G, label=f"c={c}", color=color, marker="o", log=True)
            ref = G.mean(0)[-1] * Ns[-1] / Ns
            ax.plot(Ns, ref, color=color, linestyle=":", linewidth=1.0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training prompt length N")
        ax.set_ylabel("‖W*_N / c − Λ⁻¹‖_max")
        banks = np.asarray(arrays[f"minimizer/G_c{cfg.minimizer.classes[0]}"]).shape[0]
        ax.set_title(f"W*_N → cΛ⁻¹ (dotted: slope −1)\n{plotting.band_caption(banks, 'banks')}",
                     fontsize=9)
        ax.legend()
        return plotting.save_figure(fig, fig_dir, "minimizer_vs_N")


def _error_M(cfg, scalars, arrays, fig_dir) -> list[Path]:
    Ms = np.asarray(cfg.eval.M_values, float)
    Ns = list(cfg.convergence.N_values)
    tv, cls = np.asarray(arrays["error_M/tv"]), np.asarray(arrays["error_M/cls"])
    tv_inf = np.asarray(arrays["error_M/tv_inf"])
    with plotting.style():
        fig, axes = plotting.new_figure(2, width=3.8, height=3.0)
        for k, (color, N) in enumerate(zip(plotting.colors(len(Ns) + 1)[1:], Ns)):
            plotting.band_plot(axes[0][0], Ms, tv[k], label=f"N={N}", color=color, marker="o",
                               log=True)
            axes[0][0].axhline(tv_inf[k].mean(), color=color, linestyle="--", linewidth=0.8)
            plotting.band_plot(axes[0][1], Ms, cls[k], label=f"N={N}", color=color, marker="o")
        ref = tv[-1].mean(0)[0] * np.sqrt(Ms[0] / Ms)
        axes[0][0].plot(Ms, ref, color="0.5", linestyle=":", label="∝ M^{-1/2}")
        plotting.band_plot(axes[0][1], Ms, np.asarray(arrays["error_M/bayes_cls"]),
                           label="Bayes oracle", color=plotting.PALETTE[0], linestyle="--")
        for ax in axes[0]:
            ax.set_xscale("log")
            ax.set_xlabel("test prompt length M")
        axes[0][0].set_yscale("log")
        axes[0][0].set_ylabel("E ½‖p̂ − p*‖₁ (dashed: M = ∞)")
        axes[0][1].set_ylabel("misclassification rate")
        axes[0][0].legend()
        axes[0][1].legend()
        fig.suptitle(f"Binary, d={cfg.task.n_dims}: error against M for W trained at N "
                     f"({plotting.band_caption(cfg.seeds)})", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "error_vs_M")


def _classes(cfg, scalars, arrays, fig_dir) -> list[Path]:
    cs = np.asarray(cfg.eval.classes, float)
    with plotting.style():
        fig, axes = plotting.new_figure(2, width=3.4, height=2.8)
        plotting.band_plot(axes[0][0], cs, np.asarray(arrays["classes/tv"]), label="W*_N",
                           color=plotting.PALETTE[1], marker="o")
        plotting.band_plot(axes[0][1], cs, np.asarray(arrays["classes/cls"]), label="W*_N",
                           color=plotting.PALETTE[1], marker="o")
        plotting.band_plot(axes[0][1], cs, np.asarray(arrays["classes/bayes_cls"]),
                           label="Bayes oracle", color=plotting.PALETTE[0], linestyle="--")
        axes[0][0].set_ylabel("E ½‖p̂ − p*‖₁")
        axes[0][1].set_ylabel("misclassification rate")
        for ax in axes[0]:
            ax.set_xlabel("number of classes c")
        axes[0][1].legend()
        fig.suptitle(f"Multi-class: N = M = {cfg.eval.class_N}, d={cfg.task.n_dims} "
                     f"({plotting.band_caption(cfg.seeds)})", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "error_vs_classes")


def _tokens(cfg, scalars, arrays, fig_dir) -> list[Path]:
    Ms = np.asarray(cfg.gpt2.M_values, float)
    N = cfg.task.n_points
    methods = [m for m in NAMES if f"tokens/acc/{m}" in arrays]
    colors = dict(zip(NAMES, plotting.colors(len(NAMES))))
    paths = []
    with plotting.style():
        fig, axes = plotting.new_figure(2, width=3.8, height=3.0)
        for m in ("linear", "gpt2"):
            plotting.band_plot(axes[0][0], Ms, np.asarray(arrays[f"tokens/tv/{m}"]), label=NAMES[m],
                               color=colors[m], marker="o")
        for m in ("bayes", "linear", "gpt2"):
            plotting.band_plot(axes[0][1], Ms, np.asarray(arrays[f"tokens/acc/{m}"]),
                               label=NAMES[m], color=colors[m], marker="o",
                               linestyle="--" if m == "bayes" else "-")
        for ax in axes[0]:
            ax.axvline(N, color="0.6", linewidth=0.8, linestyle=(0, (2, 2)))
            ax.set_xlabel("test prompt length M (grey: training N)")
        axes[0][0].set_ylabel("E ½‖p̂ − p*‖₁")
        axes[0][1].set_ylabel("accuracy")
        axes[0][1].legend()
        fig.suptitle(f"Trained at N={N}: 1-layer linear attention vs {cfg.model.n_layer}-layer GPT-2 "
                     f"({plotting.band_caption(cfg.gpt2.seeds)})", fontsize=9.5)
        paths += plotting.save_figure(fig, fig_dir, "gpt2_contrast")

        fig, axes = plotting.new_figure(2, width=3.8, height=3.0)
        for ax, kind in zip(axes[0], ("mean", "cov")):
            scales = np.asarray(cfg.gpt2[f"{kind}_scales"], float)
            ones = np.flatnonzero(np.isclose(scales, 1.0))       # no unshifted scale: plain TV
            for m in ("linear", "gpt2"):
                tv = np.asarray(arrays[f"shift_{kind}/tv/{m}"])
                ref = tv[:, ones[:1]] if len(ones) else 0.0
                plotting.band_plot(ax, scales, tv - ref, label=NAMES[m], color=colors[m], marker="o")
            ax.axhline(0.0, color="0.6", linewidth=0.8)
            ax.set_xlabel("test mean scale (train: 1)" if kind == "mean"
                          else "test covariance scale (train: 1)")
        axes[0][0].set_ylabel(f"TV − unshifted TV at M = N = {N}")
        axes[0][0].legend()
        fig.suptitle(f"Degradation under distribution shift ({plotting.band_caption(cfg.gpt2.seeds)})",
                     fontsize=9.5)
        paths += plotting.save_figure(fig, fig_dir, "shift")

        fig, axes = plotting.new_figure(1, width=4.6, height=3.2)
        ax = axes[0][0]
        for m in methods:
            plotting.band_plot(ax, Ms, np.asarray(arrays[f"tokens/acc/{m}"]), label=NAMES[m],
                               color=colors[m], marker="o", linestyle="--" if m == "bayes" else "-")
        ax.set_xscale("log")
        ax.set_xlabel("test prompt length M")
        ax.set_ylabel("accuracy")
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        ax.set_title("In-context classification vs traditional baselines")
        paths += plotting.save_figure(fig, fig_dir, "baselines")
    return paths


def plot(cfg, scalars: dict[str, Any], arrays: dict[str, np.ndarray], fig_dir: Path) -> list[Path]:
    figures = (("convergence", _convergence), ("minimizer", _minimizer), ("error_vs_M", _error_M),
               ("classes", _classes), ("gpt2", _tokens))
    return [path for stage, draw in figures if runs_stage(cfg, stage)
            for path in draw(cfg, scalars, arrays, fig_dir)]
