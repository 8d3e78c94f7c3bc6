"""The report (iclx.report): generated blocks, the scoreboard from synthetic results, the command line.
No training here; tests/test_report_browser.py builds the page from a real smoke run."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path

import pytest

from iclx.experiments import TARGETS
from iclx.report import blocks, build, html as report_html, markdown, runs

# ------------------------------------------------------------------ fill_blocks: a pure text function

TEXT = """# Title
prose before
<!-- generated:claims -->
old claims
<!-- /generated -->
middle prose
<!-- generated:table:t1 -->
| old |
<!-- /generated -->
<!-- generated:unknown -->
keep me
<!-- /generated -->
tail
"""


def test_fill_blocks_replaces_only_between_markers():
    out = blocks.fill_blocks(TEXT, {"claims": "NEW CLAIMS", "table:t1": "| a |\n|---|\n| 1 |\n"})
    assert out == TEXT.replace("old claims", "NEW CLAIMS").replace("| old |", "| a |\n|---|\n| 1 |")
    assert "keep me" in out                                    # a block of another key: untouched
    assert blocks.fill_blocks(out, {"claims": "NEW CLAIMS", "table:t1": "| a |\n|---|\n| 1 |"}) == out  # idempotent
    assert blocks.block_keys(TEXT) == ["claims", "table:t1", "unknown"]


def test_fill_blocks_leaves_text_without_markers_alone():
    text = "no markers here\n<!-- a comment -->\n"
    assert blocks.fill_blocks(text, {"claims": "x"}) == text
    assert blocks.fill_blocks("", {"claims": "x"}) == ""


def test_fill_blocks_fills_an_empty_block_and_rejects_an_unclosed_one():
    assert blocks.fill_blocks("a\n<!-- generated:summary --><!-- /generated -->\nb", {"summary": "S"}) == \
        "a\n<!-- generated:summary -->\nS\n<!-- /generated -->\nb"
    with pytest.raises(ValueError, match="line 2"):
        blocks.fill_blocks("a\n<!-- generated:claims -->\nno end\n", {"claims": "x"})
    with pytest.raises(ValueError, match="line 1: <!-- generated:a -->"):
        blocks.fill_blocks("<!-- generated:a -->\n<!-- generated:b -->\n<!-- /generated -->\n", {"b": "x"})


# ------------------------------------------------------------------ synthetic results


def tiny_png(width: int = 4, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def claim_row(cid, verdict, value, applies=True, scales=("cpu", "paper"), interval=None):
    return {"id": cid, "statement": f"statement of {cid}", "source": "Fig. 1", "threshold": f"test of {cid}",
            "paper_value": "0.5" if cid == "holds" else "", "value": value, "verdict": verdict,
            "interval": interval, "replicates": 3 if interval else None,
            "replicate_axis": "seeds" if interval else None,
            "detail": f"detail of {cid}", "scales": list(scales), "applies": applies}


def write_run(folder: Path, target, preset: str, rows, **extra) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    scalars = {"experiment": target.experiment, "preset": preset, "variant": target.variant,
               "command": f"python -m iclx.experiments.{target.experiment} --preset={preset}",
               "wall_s": 432.4, "seeds": 3, "claims": rows, "summary": ["line one", "line | two"],
               "tables": {"t1": {"columns": ["n", "error"], "rows": [[1, 0.123456], [2, None]]}},
               "environment": {"jax": "0.10.2", "python": "3.11.7", "platform": "cpu", "device": "cpu",
                               "device_count": 1, "host": "x86_64"}, **extra}
    (folder / "results.json").write_text(json.dumps(scalars))
    (folder / "fig_a.png").write_bytes(tiny_png())


CPU_ROWS = [claim_row("holds", "holds", 0.93, interval=[0.9, 0.96]), claim_row("fails", "fails", 1.4),
            claim_row("broken", "not evaluable", None), claim_row("close", "undecided", 0.01, interval=[0.005, 0.02]),
            claim_row("paper-only", "holds", 2.0, applies=False, scales=("paper",))]
PAPER_ROWS = [claim_row("holds", "holds", 0.51), claim_row("fails", "holds", 0.2)]


@pytest.fixture
def synthetic_root(tmp_path):
    """A repository root where the first registered target has a cpu and a paper run and every other
    target has none."""
    target = next(iter(TARGETS.values()))
    folder = tmp_path / target.figures
    write_run(folder, target, target.preset, CPU_ROWS)
    write_run(folder / "paper", target, "paper", PAPER_ROWS)
    write_run(folder / "nested", target, "smoke", PAPER_ROWS)          # not this folder's preset: ignored
    (folder / "README.md").write_text("# prose\n<!-- generated:claims -->\n<!-- /generated -->\n"
                                      "<!-- generated:summary -->\nold\n<!-- /generated -->\n"
                                      "<!-- generated:table:t1 -->\n<!-- /generated -->\nend\n")
    (tmp_path / "README.md").write_text("# top\n<!-- generated:reproduces -->\n<!-- /generated -->\n")
    return tmp_path, target


def test_runs_are_found_per_preset(synthetic_root):
    root, target = synthetic_root
    tr = runs.load_target(root, target)
    assert [run.preset for run in tr.runs] == [target.preset, "paper"]
    assert tr.claim_ids() == ["holds", "fails", "broken", "close", "paper-only"]
    # paper-only does not count; "broken" is not evaluable: neither a pass nor a fail
    cpu = f"1 holds · 1 fails · 1 undecided · 1 not evaluable at {target.preset}"
    assert runs.preset_status(tr.runs[0]) == cpu
    assert runs.preset_status(tr.runs[1]) == "2 hold at paper"
    assert runs.status_parts(tr) == [("part", cpu), ("ok", "2 hold at paper")]
    others = [runs.load_target(root, t) for t in TARGETS.values() if t.figures != target.figures
              and not t.figures.startswith(target.figures + "/")]
    assert others and all(not tr.runs for tr in others)
    assert all(runs.status(tr).startswith("missing") for tr in others)


def test_html_scoreboard(synthetic_root):
    root, target = synthetic_root
    all_runs = runs.load_all(root)
    html = report_html.page(root, all_runs)
    article = re.search(rf'<article class="target" id="{target.name}".*?</article>', html, re.DOTALL).group(0)
    rows = re.findall(r'<tr class="claim" data-claim="([^"]+)">(.*?)</tr>', article, re.DOTALL)
    assert [cid for cid, _ in rows] == ["holds", "fails", "broken", "close", "paper-only"]
    cells = {cid: re.findall(r'<td class="res ([^"]*)"[^>]*><span class="mark">(.)</span>'
                             r'<span class="val">([^<]*)</span>', body) for cid, body in rows}
    assert cells["holds"] == [("ok", "✓", "0.93 [0.9, 0.96] (3 seeds)"), ("ok", "✓", "0.51")]   # cpu | paper
    assert cells["close"][0] == ("und", "≈", "0.01 [0.005, 0.02] (3 seeds)")
    assert cells["fails"] == [("bad", "✗", "1.4"), ("ok", "✓", "0.2")]
    assert cells["broken"][0] == ("na", "?", "—")
    assert cells["paper-only"][0] == ("ok off", "✓", "2")                          # greyed
    assert "not evidence at this scale" in dict(rows)["paper-only"]
    assert "not in this run" in dict(rows)["broken"]                               # absent in the paper run
    assert article.count("<img ") == 2 and 'src="' + runs.relpath(f"{target.figures}/fig_a.png", "experiments")
    for other in TARGETS.values():
        if other.name != target.name and not other.figures.startswith(target.figures + "/"):
            block = re.search(rf'<article class="target" id="{other.name}".*?</article>', html, re.DOTALL).group(0)
            assert f"missing — run <code>make reproduce-fig-{other.name}</code>" in block
            assert 'class="claim"' not in block and "✓" not in block
    assert "<script" not in html and "http://" not in html and "@import" not in html
    assert "3" in re.search(r"<th>seeds</th>(.*?)</tr>", article).group(1)
    assert re.search(r'<table class="numbers" data-table="t1">.*<td>0.1235</td></tr><tr><td>2</td><td>—</td>', article)


def test_markdown_scoreboard_and_blocks(synthetic_root):
    root, target = synthetic_root
    files = build.build(root)
    board = files["experiments/README.md"]
    assert ("| statement of holds | Fig. 1 | test of holds | 0.5 | ✓ 0.93 [0.9, 0.96] (3 seeds) — holds | "
            "✓ 0.51 — holds |") in board
    assert "≈ 0.01 [0.005, 0.02] (3 seeds) — undecided" in board
    assert "(✓ 2 — holds) *not evidence at cpu*" in board
    assert f"missing** — no results yet; run `make reproduce-fig-" in board
    readme = files[f"{target.figures}/README.md"]
    assert readme.startswith("# prose\n<!-- generated:claims -->\n1 holds · 1 fails · 1 undecided · 1 not evaluable "
                             "at cpu; 2 hold at paper.")
    assert "detail of fails" in readme                                   # the README's table has details
    assert "```text\nline one\nline | two\n```" in readme               # summary: as printed
    assert "| n | error |\n|---|---|\n| 1 | 0.1235 |\n| 2 | — |" in readme
    assert readme.endswith("<!-- /generated -->\nend\n")
    top = files["README.md"]
    assert "1 holds · 1 fails · 1 undecided · 1 not evaluable at cpu; 2 hold at paper" in top
    assert "missing — run `make reproduce-fig-" in top
    assert build.build(root) == files                                       # deterministic


def test_block_of_another_target_and_unknown_keys(synthetic_root):
    root, target = synthetic_root
    by_name = {tr.target.name: tr for tr in runs.load_all(root)}
    text = f"<!-- generated:claims@{target.name} -->\n<!-- /generated -->\n<!-- generated:what -->\nx\n<!-- /generated -->"
    contents = build.readme_contents(text, None, by_name, markdown.render_block)
    assert list(contents) == [f"claims@{target.name}"]
    assert "✓ 0.93" in blocks.fill_blocks(text, contents) and "\nx\n" in blocks.fill_blocks(text, contents)


def test_command_line_writes_then_checks(synthetic_root, capsys):
    root, target = synthetic_root
    plain = root / "experiments" / "plain.md"
    plain.write_text("no markers\n")
    assert build.main(["--root", str(root), "--check"]) == 1
    assert build.main(["--root", str(root)]) == 0
    assert (root / "experiments" / "index.html").exists() and (root / "experiments" / "README.md").exists()
    assert build.main(["--root", str(root), "--check"]) == 0                # rebuilding changes nothing
    assert plain.read_text() == "no markers\n"
    (root / target.figures / "README.md").write_text("<!-- generated:claims -->\nunclosed\n")
    assert build.main(["--root", str(root)]) == 2
    assert "README.md: line 1" in capsys.readouterr().err


def test_seeds_from_lane_labels_when_not_stored():
    run = runs.Run("cpu", "x", {"lanes": {"model": [{"seed": 0}, {"seed": 1}, {"seed": 0}], "b": [{"seed": 0}]}})
    assert run.seeds() == 2
    assert runs.Run("cpu", "x", {}).seeds() is None
    assert runs.duration(432.4) == "7 min 12 s" and runs.duration(42) == "42 s" and runs.duration(None) == "—"


def test_run_time_says_when_training_was_not_timed_by_this_run():
    fresh = {"start_step": 0, "end_step": 100, "wall_s": 50.0}
    done = {"start_step": 100, "end_step": 100, "wall_s": 0.001}
    assert runs.run_time({"wall_s": 70.0, "training": {"a": fresh}}) == "1 min 10 s"
    assert "its time is not included" in runs.run_time({"wall_s": 70.0, "training": {"a": done}})
    part = runs.run_time({"wall_s": 70.0, "training": {"a": fresh, "b": {**fresh, "start_step": 40}}})
    assert part.endswith("(1 of 2 training stages resumed from a checkpoint)")
    assert runs.run_time({"wall_s": 70.0}) == "1 min 10 s"


def test_a_run_whose_claims_cannot_be_evaluated_is_not_a_failure_count():
    target = next(iter(TARGETS.values()))
    run = runs.Run("cpu", target.figures, {"claims": [claim_row("a", "not evaluable", None),
                                                      claim_row("b", "not evaluable", None)]})
    tr = runs.TargetRuns(target, runs.paper_of_target(target), (run,))
    assert runs.preset_status(run) == "2 not evaluable at cpu"
    assert runs.status_parts(tr)[0] == ("na", "2 not evaluable at cpu")
    assert runs.preset_status(runs.Run("cpu", "x", {"claims": [claim_row("a", "fails", 1.0)]})) == "1 fails at cpu"


def test_a_target_at_a_further_scale_is_a_column_of_its_base_target(tmp_path):
    further = next(t for t in TARGETS.values() if t.scale_of)
    base = TARGETS[further.scale_of]
    write_run(tmp_path / base.figures, base, base.preset, CPU_ROWS)
    write_run(tmp_path / base.figures / "paper", base, "paper", PAPER_ROWS)
    write_run(tmp_path / further.figures, further, further.preset, PAPER_ROWS)
    tr = runs.load_target(tmp_path, base)
    assert [run.preset for run in tr.runs] == [base.preset, further.preset, "paper"]
    assert tr.runs[1].folder == further.figures
    built = build.build(tmp_path)
    page = built[runs.REPORT_PAGE]
    assert f'id="{base.name}"' in page and f'id="{further.name}"' not in page   # no row of its own


def test_our_claims_are_kept_apart_beyond_the_papers(tmp_path):
    """A row marked ``ours`` (a claim beyond the paper) is rendered under "Beyond the papers", in a
    table of its own after the paper's claims, in the README block and in the HTML page."""
    target = next(iter(TARGETS.values()))
    ours = dict(claim_row("mine", "holds", 0.3), ours=True)
    write_run(tmp_path / target.figures, target, target.preset, [claim_row("holds", "holds", 0.93), ours])
    tr = runs.load_target(tmp_path, target)
    assert tr.claim_ids(ours=False) == ["holds"] and tr.claim_ids(ours=True) == ["mine"]
    text = markdown.claims_table(tr, details=True)
    paper_part, beyond = text.split(markdown.BEYOND)
    assert "statement of holds" in paper_part and "statement of mine" not in paper_part
    assert "statement of mine" in beyond and "statement of holds" not in beyond
    html = report_html.claims_table(tr)
    assert html.index('data-claim="holds"') < html.index("Beyond the papers") < html.index('data-claim="mine"')
    assert tr.claim_ids() == ["holds", "mine"]
