"""The shared plotting style (iclx.framework.plotting): bands only from 5 replicates, the saved file formats."""

import numpy as np
import pytest

from iclx.framework import plotting


def test_a_band_needs_five_replicates_fewer_are_drawn_one_line_each():
    x = np.arange(4)
    for replicates, bands, lines in ((5, 1, 1), (3, 0, 4), (1, 0, 1)):
        with plotting.style():
            fig, axes = plotting.new_figure()
            plotting.band_plot(axes[0, 0], x, np.random.default_rng(0).normal(size=(replicates, 4)),
                               label="m", color="k")
            ax = axes[0, 0]
            assert (len(ax.collections), len(ax.lines)) == (bands, lines), replicates
            plotting.plt.close(fig)
    assert plotting.band_caption(5) == "mean ± 95% CI over 5 seeds"
    assert plotting.band_caption(3, "Monte Carlo runs") == "mean of 3 Monte Carlo runs, thin lines: each"


@pytest.mark.parametrize("formats,suffixes", [(None, ["png", "pdf"]), ("svg, PNG", ["svg", "png"])])
def test_save_figure_writes_the_requested_formats(tmp_path, monkeypatch, formats, suffixes):
    if formats is None:
        monkeypatch.delenv("ICLX_FIGURE_FORMATS", raising=False)
    else:
        monkeypatch.setenv("ICLX_FIGURE_FORMATS", formats)
    with plotting.style():
        fig, axes = plotting.new_figure()
        plotting.band_plot(axes[0, 0], np.arange(3), np.ones((2, 3)), label="x", color="k")
        paths = plotting.save_figure(fig, tmp_path, "f")
    assert [p.suffix[1:] for p in paths] == suffixes
    assert all(p.stat().st_size > 500 for p in paths)


def test_replotting_gives_identical_files(tmp_path, monkeypatch):
    monkeypatch.setenv("ICLX_FIGURE_FORMATS", "png,pdf,svg")

    def draw(directory):
        with plotting.style():
            fig, axes = plotting.new_figure()
            axes[0, 0].plot([0, 1], [1, 0])
            return plotting.save_figure(fig, directory, "f")

    for a, b in zip(draw(tmp_path / "a"), draw(tmp_path / "b")):
        assert a.read_bytes() == b.read_bytes(), a.suffix
