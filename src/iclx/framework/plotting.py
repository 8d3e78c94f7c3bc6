"""One plotting style for every experiment. Plots read saved results; they never train.

Bands are 95% confidence intervals of the mean across replicates (Student t, ``iclx.framework.stats``), so a
band says how well the seeds pin the curve down. A band is drawn only from at least 5 replicates;
with 2–4 each replicate is drawn as its own thin line, and captions say which (``band_caption``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from iclx.framework import settings  # noqa: E402
from iclx.framework.stats import MIN_BAND_REPLICATES, mean_band  # noqa: E402

# Okabe–Ito, readable by colour-blind readers and in greyscale print.
PALETTE = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#7F7F7F")

RC = {
    "figure.dpi": 110,   # savefig.dpi: $ICLX_FIGURE_DPI, read by ``style`` (iclx.framework.settings)
    "savefig.bbox": "tight", "font.size": 9,
    "svg.hashsalt": "iclx",   # stable SVG element ids (reproducible files)
    "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 7.5, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.alpha": 0.3, "grid.linewidth": 0.5, "lines.linewidth": 1.6, "legend.frameon": False,
    "pdf.fonttype": 42, "ps.fonttype": 42,
}

@contextlib.contextmanager
def style():
    """The suite's matplotlib style, as a context (PNGs at ``$ICLX_FIGURE_DPI``, default 200)."""
    with plt.rc_context({**RC, "savefig.dpi": settings.figure_dpi()}):
        yield


def band_plot(ax, x: np.ndarray, values: np.ndarray, *, label: str, color: str, linestyle: str = "-",
              marker: str | None = None, linewidth: float | None = None, log: bool = False) -> None:
    """A mean line across replicates, ``values [R, len(x)]``, with its 95% band when there are at
    least ``MIN_BAND_REPLICATES`` replicates; with fewer (a t-band from 2–4 replicates is mostly its
    quantile), every replicate as its own thin line instead. With ``log`` the mean and band are
    computed on log values (a geometric mean), which keeps them positive on a log axis."""
    values = np.asarray(values, dtype=np.float64)
    data = np.log(np.maximum(values, 1e-300)) if log else values
    mean, lo, hi = mean_band(data)
    if log:
        mean, lo, hi = np.exp(mean), np.exp(lo), np.exp(hi)
    ax.plot(x, mean, label=label, color=color, linestyle=linestyle, marker=marker,
            markersize=3, linewidth=linewidth)
    if values.shape[0] >= MIN_BAND_REPLICATES:
        ax.fill_between(x, lo, hi, color=color, alpha=0.18, linewidth=0)
    elif values.shape[0] > 1:
        for replicate in values:
            ax.plot(x, replicate, color=color, linestyle=linestyle, linewidth=0.5, alpha=0.45)


def band_caption(replicates: int, what: str = "seeds") -> str:
    """What a figure's bands are: "mean ± 95% CI over 5 seeds", or the thin per-replicate lines."""
    if replicates >= MIN_BAND_REPLICATES:
        return f"mean ± 95% CI over {replicates} {what}"
    if replicates > 1:
        return f"mean of {replicates} {what}, thin lines: each"
    return f"1 {what.rstrip('s')}"


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 3.6, height: float = 2.7, **kw):
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)


_STABLE_METADATA = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}


def figure_formats() -> tuple[str, ...]:
    """The file formats figures are saved in: ``$ICLX_FIGURE_FORMATS`` (comma-separated, e.g.
    ``png,pdf,svg``), default PNG and PDF (``iclx.framework.settings``)."""
    return settings.figure_formats()


def save_figure(fig, directory: Path, stem: str) -> list[Path]:
    """Save ``fig`` as ``<directory>/<stem>.png`` and ``.pdf`` (see ``figure_formats``); returns the
    paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{stem}.{fmt}" for fmt in figure_formats()]
    for path in paths:   # no creation dates: a re-plot of the same results gives the same files
        fig.savefig(path, metadata=_STABLE_METADATA.get(path.suffix[1:]))
    plt.close(fig)
    return paths


def colors(n: int) -> Sequence[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


LOG_FLOOR = 1e-7   # errors below this are drawn at it on log axes (least squares reaches ~1e-12)


def error_vs_examples_panels(axes: Sequence, x: np.ndarray,
                             curves: Sequence[tuple[np.ndarray, dict]], *, d: int | None = None,
                             linear_ylim: tuple[float, float] = (-0.05, 1.5),
                             log_ylim: tuple[float, float] = (1e-5, 3.0), trivial: bool = True,
                             titles: bool = True) -> None:
    """Squared error ÷ d against the number of in-context examples, on a linear axis (Garg et al.'s
    view) and a log axis (closeness to least squares), in the two ``axes``.

    ``curves``: ``(values [seeds, len(x)], band_plot style kwargs)`` per method; ``d`` draws a
    vertical line at n = d; ``trivial`` a horizontal one at 1 (the zero predictor's error).
    """
    for ax, log in zip(axes, (False, True)):
        if d is not None:
            ax.axvline(d, color="0.6", linewidth=0.8, linestyle=(0, (2, 2)))
        if trivial:
            ax.axhline(1.0, color="0.75", linewidth=0.8)
        for values, style_kw in curves:
            band_plot(ax, x, np.maximum(values, LOG_FLOOR) if log else values, log=log, **style_kw)
        ax.set_xlabel("in-context examples")
        ax.set_xlim(x[0], x[-1])
        if log:
            ax.set_yscale("log")
            ax.set_ylim(*log_ylim)
            if titles:
                ax.set_title(f"log scale (floor {LOG_FLOOR:g})")
        else:
            ax.set_ylim(*linear_ylim)
            ax.set_ylabel("squared error / d")
            if titles:
                ax.set_title("linear scale")
