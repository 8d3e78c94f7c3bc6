"""Issue 23's inputs, each a regression test: a config that would have crashed after training or
finished with wrong numbers, a size beyond the machine, a bad path or a misnamed field now gives one
line on stderr and exit code 2 before anything is compiled or written."""

from __future__ import annotations

import pytest

from iclx import experiments as registry


def command(command_line, name: str, out, *flags: str) -> tuple[int, list[str]]:
    return command_line(registry.load(name), "--preset=smoke", f"--out={out}", "--no-progress", *flags)


@pytest.mark.parametrize("name,flag,fragment", [
    # crashed after training (KeyError / TypeError in the summary)
    ("deep_optimizers", "--config.eval.mixtures=0.5,0.7", "config field eval.mixtures: must contain 1.0"),
    ("gmm_classification", "--config.minimizer.fit_from=1000", "config field minimizer.fit_from: 1000 leaves"),
    ("gmm_classification", "--config.eval.M_values=16,64", "config field eval.M_values: needs at least 2"),
    # finished with wrong numbers
    ("gmm_classification", "--config.convergence.N_values=10,20,20",
     "config field convergence.N_values: lists 20 twice"),
    ("gmm_classification", "--config.eval.n_prompts=2047", "config field eval.n_prompts: 2047 is evaluated in chunks"),
    ("deep_optimizers", "--config.baseline.position_stride=100",
     "config field baseline.position_stride: 100 fits no position"),
    ("deep_optimizers", "--config.study.attentions=softmax,softmax",
     "config field study.attentions: lists 'softmax' twice"),
    ("data_mixing", "--config.mixing.rhos=1.0,0.5,0.5,0.0", "config field mixing.rhos: lists 0.5 twice"),
    # sizes and seeds
    ("gmm_classification", "--config.eval.n_prompts=1000000000", "config field eval.n_prompts"),
    ("deep_optimizers", "--config.eval.n_prompts=1000000000", "this config needs ~"),
    ("data_mixing", "--config.model.d=100000", "this config needs ~"),
    ("gmm_classification", f"--config.seed={2 ** 70}", "config field seed: must be an integer in [0, 2**32)"),
    ("gmm_classification", "--config.seed=2**70", "config field seed: expected an integer"),
    ("gmm_classification", f"--config.seed={2 ** 32}", "config field seed"),
    # the right field named
    ("gmm_classification", "--config.gpt2_train.lr=nan", "config field gpt2_train.lr: must be a finite number"),
    ("gmm_classification", "--config.gpt2_train.log_every=7", "config field gpt2_train.log_every"),
])
def test_issue_input_is_one_line_and_exit_2(tmp_path, command_line, name, flag, fragment):
    out = tmp_path / "runs"
    code, lines = command(command_line, name, out, flag)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("error: ") and fragment in lines[0], lines
    assert not out.exists()


def test_a_long_run_is_refused_past_max_hours_and_shows_its_estimate(tmp_path, capsys, command_line):
    out, flag = tmp_path / "runs", "--config.eval.n_prompts=1000013824"     # a multiple of 1024
    code, lines = command(command_line, "gmm_classification", out, flag, "--max-hours=0.1")
    assert code == 2 and len(lines) == 1 and "predicted to take ~" in lines[0], lines
    assert not out.exists()
    assert registry.load("gmm_classification").main(["--preset=smoke", flag, "--show-config"]) == 0
    assert "estimate: ~" in capsys.readouterr().out


def test_output_under_a_file_and_figures_at_a_file(tmp_path, command_line):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code, lines = command(command_line, "gmm_classification", blocker / "runs")
    assert code == 2 and len(lines) == 1 and "is under" in lines[0] and "a file" in lines[0], lines
    out = tmp_path / "runs"
    code, lines = command(command_line, "gmm_classification", out, f"--figures={blocker}")
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: --figures="), lines
    assert not out.exists()
