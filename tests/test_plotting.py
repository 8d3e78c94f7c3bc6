"""The shared plotting style: the 95% band across seeds and the saved file formats."""

import numpy as np
import pytest

from iclx import plotting


def test_mean_band_is_a_student_t_interval():
    values = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])            # 3 seeds, 2 points
    mean, lo, hi = plotting.mean_band(values)
    np.testing.assert_allclose(mean, [3.0, 2.0])
    half = 4.302652729911275 * 2.0 / np.sqrt(3)                        # t_{0.975, 2} · sd / √3
    np.testing.assert_allclose(hi - mean, [half, 0.0], rtol=1e-3)
    np.testing.assert_allclose(mean - lo, [half, 0.0], rtol=1e-3)


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
