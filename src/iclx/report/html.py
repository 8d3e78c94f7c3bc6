"""The report as one self-contained HTML page (``experiments/index.html``): inline CSS, no scripts,
no fonts or anything else fetched; figures are the committed PNGs, linked by relative path."""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from iclx.framework.claim_rows import control_text, interval_text
from iclx import experiments as registry
from iclx.experiments import Paper
from iclx.report import markdown, runs

BASE = "experiments"   # the page's folder: every link is relative to it

CSS = """
:root { --ok: #1a7f37; --bad: #cf222e; --na: #9a6700; --und: #6e40c9; --off: #8c959f; --line: #d0d7de;
  --soft: #f6f8fa; --text: #1f2328; --muted: #59636e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px 32px 48px; color: var(--text);
  font: 15px/1.45 -apple-system, "Segoe UI", "Helvetica Neue", Arial, "Noto Sans", "DejaVu Sans", sans-serif; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 40px 0 2px; padding-top: 12px; border-top: 3px solid var(--text); }
h3 { font-size: 17px; margin: 28px 0 4px; }
h3 .desc { font-weight: normal; color: var(--muted); font-size: 15px; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
code, pre { font: 12.5px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
code { background: var(--soft); padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--soft); padding: 10px 12px; border-radius: 6px; overflow-x: auto; margin: 8px 0; }
.meta, .lede, .links, .status { color: var(--muted); margin: 4px 0; }
.legend span { margin-right: 14px; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin: 10px 0; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: var(--soft); font-weight: 600; }
table.claims td.claim { width: 34%; }
table.claims td.test { width: 24%; color: var(--muted); font-size: 13px; }
table.claims td.paper { width: 11%; }
.source { color: var(--muted); font-size: 13px; white-space: nowrap; }
.res .mark { font-weight: 700; font-size: 16px; margin-right: 4px; }
.res .val { font-weight: 600; font-variant-numeric: tabular-nums; }
.res .detail, .res .note, .res .control { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
.ok .mark { color: var(--ok); } .bad .mark { color: var(--bad); } .na .mark { color: var(--na); }
.und .mark { color: var(--und); }
td.off, td.off .mark, td.off .val, td.off .detail { color: var(--off); }
td.off .note { font-style: italic; color: var(--off); }
td.absent { color: var(--off); font-style: italic; }
.pill { display: inline-block; padding: 1px 8px; margin: 1px 4px 1px 0; border-radius: 10px;
  font-size: 13px; border: 1px solid var(--line); white-space: nowrap; }
.pill.ok { background: #dafbe1; border-color: #8ddb9c; color: #116329; }
.pill.part { background: #fff1e5; border-color: #f0b37e; color: #953800; }
.pill.na { background: #fff8c5; border-color: #e6cc6b; color: #7d4e00; }
.pill.bad { background: #ffebe9; border-color: #ffb3ad; color: #a40e26; }
.pill.off, .pill.notrun, .pill.none { background: var(--soft); color: var(--muted); }
.pill.missing { background: #fff8c5; border-color: #e6cc6b; color: #7d4e00; white-space: normal; }
.pill code { background: transparent; padding: 0; }
.missing-run { border: 2px dashed var(--bad); border-radius: 6px; padding: 10px 14px; color: var(--bad);
  font-weight: 600; }
table.runs th:first-child { width: 12%; }
table.runs td { font-size: 13px; }
table.overview td.status { width: 40%; }
table.overview .what { color: var(--muted); font-size: 13px; }
table.numbers { width: auto; min-width: 40%; font-variant-numeric: tabular-nums; }
table.numbers caption { text-align: left; color: var(--muted); font-size: 13px; padding-bottom: 2px; }
.figs { display: grid; gap: 14px; margin: 12px 0; align-items: start; }
.figs.cols1 { grid-template-columns: repeat(2, minmax(0, 1fr)); }
.figs.cols2 { grid-template-columns: repeat(2, minmax(0, 1fr)); }
.figs.cols3 { grid-template-columns: repeat(3, minmax(0, 1fr)); }
.figs .wide { grid-column: 1 / -1; }
.figs .head { font-weight: 600; border-bottom: 1px solid var(--line); }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
figure img { display: block; width: 100%; height: auto; }
figcaption { font-size: 12.5px; color: var(--muted); margin-top: 4px; }
figure.none { color: var(--off); font-style: italic; }
details.numbers { margin: 10px 0 4px; overflow-x: auto; }
details.numbers > summary { cursor: pointer; color: #0969da; font-size: 14px; }
.caption { color: var(--muted); font-size: 13px; margin: 10px 0 2px; }
table.numbers { font-size: 13px; } table.numbers th, table.numbers td { padding: 3px 7px; }
@media print {
  @page { size: A4; margin: 12mm; }
  body { max-width: none; padding: 0 2px; font-size: 10pt; }
  .paper.run h2 { break-before: page; margin-top: 0; }
  h2, h3, .links, .status, .caption, caption { break-after: avoid; }
  table, tr, figure, pre, .missing-run { break-inside: avoid; }
  table.claims, table.numbers { break-inside: auto; }      /* long ones: whole rows, header repeated */
  thead { display: table-header-group; }
  .res .detail, .res .note, .res .control, table.claims td.test { font-size: 8pt; }
  table { font-size: 9pt; } pre, code { font-size: 8pt; }
  pre { white-space: pre-wrap; }
  a { color: inherit; }
  .figs.cols1 { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  figure img { max-height: 120mm; object-fit: contain; }
  details.numbers::details-content { content-visibility: visible; display: block; }
  details.numbers > summary { list-style: none; color: var(--text); font-weight: 600; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

_CLASS = {"✓": "ok", "✗": "bad", "≈": "und", "?": "na"}
_WORD = {"✓": "holds", "✗": "fails", "≈": "undecided: the 95% interval straddles the threshold",
         "?": "not evaluable"}


def code_spans(text: str) -> str:
    """Escaped ``text`` with `backticked` parts as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


def status_html(tr: runs.TargetRuns) -> str:
    return " ".join(f'<span class="pill {kind}">{code_spans(text)}</span>' for kind, text in runs.status_parts(tr))


def png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, or None if it is not a readable PNG."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def result_cell(row: Mapping[str, Any] | None, preset: str) -> str:
    if row is None:
        return '<td class="res absent">not in this run</td>'
    m = runs.mark(row)
    classes = f"res {_CLASS[m]}" + ("" if row.get("applies") else " off")
    note = "" if row.get("applies") else f'<div class="note">not evidence at this scale ({escape(preset)})</div>'
    detail = f'<div class="detail">{escape(str(row["detail"]))}</div>' if row.get("detail") else ""
    control = (f'<div class="control">{escape(control_text(row))}</div>' if control_text(row) else "")
    return (f'<td class="{classes}" title="{_WORD[m]}"><span class="mark">{m}</span>'
            f'<span class="val">{escape(interval_text(row))}</span>{control}{detail}{note}</td>')


def claims_table(tr: runs.TargetRuns) -> str:
    """The paper's claims, then ours (beyond the paper) in a table of their own."""
    if not tr.claim_ids():
        return '<p class="status">No claims declared for this experiment yet.</p>'
    parts = [_claims_rows_table(tr, ids, head) for ids, head in
             ((tr.claim_ids(ours=False), "claim (paper)"), (tr.claim_ids(ours=True), "claim (ours)")) if ids]
    if tr.claim_ids(ours=True):
        parts.insert(len(parts) - 1, '<p class="beyond">Beyond the papers: our claims, not the paper\'s '
                                     '(the paper column says what its theory predicts)</p>')
    return "".join(parts)


def _claims_rows_table(tr: runs.TargetRuns, ids: list[str], first_head: str) -> str:
    head = "".join(f"<th>ours · {escape(run.label)}</th>" for run in tr.runs)
    rows = []
    for claim_id in ids:
        first = tr.first_row(claim_id)
        rows.append(
            f'<tr class="claim" data-claim="{escape(claim_id)}">'
            f'<td class="claim">{escape(str(first.get("statement", claim_id)))} '
            f'<span class="source">({escape(str(first.get("source", "")))})</span></td>'
            f'<td class="test">{escape(str(first.get("threshold", "")))}</td>'
            f'<td class="paper">{escape(str(first.get("paper_value") or "—"))}</td>'
            + "".join(result_cell(tr.row(run, claim_id), run.preset) for run in tr.runs) + "</tr>")
    return (f'<table class="claims"><thead><tr><th>{first_head}</th><th>our test</th><th>paper</th>'
            f'{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def runs_table(tr: runs.TargetRuns) -> str:
    facts = [("command", lambda r: f"<code>{escape(str(r.scalars.get('command', '?')))}</code>"),
             ("seeds", lambda r: escape(str(r.seeds() if r.seeds() is not None else "?"))),
             ("wall time", lambda r: escape(runs.run_time(r.scalars))),
             ("device", lambda r: escape(runs.device(r.scalars))),
             ("versions", lambda r: escape(runs.versions(r.scalars))),
             ("results", lambda r: f'<a href="{escape(runs.relpath(r.folder + "/results.json", BASE))}">'
                                   f'{escape(r.folder)}/results.json</a>')]
    head = "".join(f"<th>{escape(run.preset)}</th>" for run in tr.runs)
    body = "".join(f"<tr><th>{name}</th>" + "".join(f"<td>{get(run)}</td>" for run in tr.runs) + "</tr>"
                   for name, get in facts)
    return f'<table class="runs"><thead><tr><th>run</th>{head}</tr></thead><tbody>{body}</tbody></table>'


def summaries(tr: runs.TargetRuns) -> str:
    parts = []
    for run in tr.runs:
        lines = [str(line) for line in run.scalars.get("summary") or []]
        if lines:
            label = f" ({escape(run.preset)})" if len(tr.runs) > 1 else ""
            parts.append(f'<p class="caption">summary printed by the run{label}</p>'
                         f'<pre>{escape(chr(10).join(lines))}</pre>')
    return "".join(parts)


def numbers(tr: runs.TargetRuns) -> str:
    """The run's printed summary and number tables, folded (open on paper)."""
    inside = summaries(tr) + tables(tr)
    if not inside:
        return ""
    count = len([t for t in (tr.main.scalars.get("tables") or {}).values() if isinstance(t, Mapping)])
    what = "the summary printed by the run" + (f" and {count} number table{'s' * (count != 1)}" if count else "")
    return f'<details class="numbers"><summary>Numbers: {what}</summary>{inside}</details>'


def tables(tr: runs.TargetRuns) -> str:
    """The number tables the main run saved (``scalars["tables"]``)."""
    parts = []
    for name, data in sorted((tr.main.scalars.get("tables") or {}).items()):
        if not isinstance(data, Mapping):
            continue
        head = "".join(f"<th>{escape(str(c))}</th>" for c in data.get("columns", []))
        body = "".join("<tr>" + "".join(f"<td>{escape(markdown.value_text(v))}</td>" for v in row) + "</tr>"
                       for row in data.get("rows", []))
        parts.append(f'<table class="numbers" data-table="{escape(name)}"><caption>table {escape(name)} '
                     f'({escape(tr.main.preset)})</caption><thead><tr>{head}</tr></thead>'
                     f'<tbody>{body}</tbody></table>')
    return "".join(parts)


def figure(root: Path, path: str, caption: str, allow_wide: bool = True) -> str:
    size = png_size(Path(root) / path)
    wide = allow_wide and size is not None and size[0] > 2.3 * size[1]
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    pdf = Path(path).with_suffix(".pdf").as_posix()
    pdf_link = (f' · <a href="{escape(runs.relpath(pdf, BASE))}">PDF</a>'
                if (Path(root) / pdf).exists() else "")
    src = escape(runs.relpath(path, BASE))
    return (f'<figure class="{"wide" if wide else "fig"}"><a href="{src}"><img src="{src}" '
            f'alt="{escape(caption)}"{dims}></a><figcaption>{escape(caption)}{pdf_link}</figcaption></figure>')


def figures(root: Path, tr: runs.TargetRuns) -> str:
    per_run = {run.preset: {Path(f).name: f for f in runs.figures_of(root, run)} for run in tr.runs}
    names = sorted({name for figs in per_run.values() for name in figs})
    if not names:
        return ""
    if len(tr.runs) == 1:
        (preset, figs), = per_run.items()
        return ('<div class="figs cols1">' + "".join(figure(root, figs[n], Path(n).stem) for n in names)
                + "</div>")
    cols = min(len(tr.runs), 3)
    cells = [f'<div class="head">{escape(run.preset)}</div>' for run in tr.runs[:cols]]
    for name in names:
        for run in tr.runs[:cols]:
            path = per_run[run.preset].get(name)
            cells.append(figure(root, path, f"{Path(name).stem} · {run.preset}", False) if path else
                         f'<figure class="none">{escape(Path(name).stem)}: not drawn at {escape(run.preset)}</figure>')
    return f'<div class="figs cols{cols}">' + "".join(cells) + "</div>"


def target_article(root: Path, tr: runs.TargetRuns) -> str:
    t = tr.target
    folder = runs.relpath(t.figures, BASE)
    readme = f"{t.figures}/README.md"
    links = [f"<code>{escape(runs.make_command(t))}</code>", f'<a href="{escape(folder)}/">{escape(t.figures)}/</a>']
    if (Path(root) / readme).exists():
        links.append(f'<a href="{escape(runs.relpath(readme, BASE))}">README</a>')
    parts = [f'<article class="target" id="{escape(t.name)}" data-target="{escape(t.name)}">',
             f'<h3>{escape(t.name)} <span class="desc">— {escape(t.description)}</span></h3>',
             f'<p class="links">{" · ".join(links)}</p>']
    if not tr.runs:
        parts.append(f'<p class="missing-run">missing — run <code>{escape(runs.make_command(t))}</code></p>')
    else:
        parts += [f'<p class="status">{status_html(tr)}</p>', claims_table(tr), runs_table(tr),
                  figures(root, tr), numbers(tr)]
    return "".join(parts) + "</article>"


def paper_section(root: Path, paper: Paper, targets: Sequence[runs.TargetRuns]) -> str:
    kind = "paper run" if targets else "paper"
    parts = [f'<section class="{kind}" id="paper-{escape(paper.key)}"><h2>{escape(paper.title)}</h2>',
             f'<p class="meta">{escape(paper.authors)} ({paper.year}) · '
             f'<a href="https://arxiv.org/abs/{escape(paper.arxiv)}">arXiv:{escape(paper.arxiv)}</a></p>']
    if not targets:
        parts.append('<p class="status">No experiment yet.</p>')
    parts += [target_article(root, tr) for tr in targets]
    return "".join(parts) + "</section>"


def overview(all_runs: Sequence[runs.TargetRuns]) -> str:
    rows = "".join(
        f'<tr><td>{escape(markdown.short_authors(tr.paper))}</td>'
        f'<td><a href="#{escape(tr.target.name)}">{escape(tr.target.name)}</a>'
        f'<div class="what">{escape(tr.target.description)}</div></td>'
        f'<td class="status">{status_html(tr)}</td></tr>' for tr in all_runs)
    return ('<table class="overview"><thead><tr><th>paper</th><th>figure set</th><th>claims</th></tr>'
            f'</thead><tbody>{rows}</tbody></table>')


def page(root: Path, all_runs: Sequence[runs.TargetRuns]) -> str:
    legend = ('<p class="legend">value [95% interval] (replicates): '
              '<span class="ok"><b class="mark">✓</b> holds (the whole interval on the claim\'s side)</span> '
              '<span class="bad"><b class="mark">✗</b> fails (the whole interval on the other side)</span> '
              '<span class="und"><b class="mark">≈</b> undecided (it straddles the threshold)</span> '
              '<span class="na"><b class="mark">?</b> not evaluable</span> '
              '<span style="color: var(--off)">grey: a run at a scale the claim does not apply to '
              '(not evidence)</span></p>')
    sections = [paper_section(root, paper, [tr for tr in all_runs if tr.paper.key == paper.key])
                for paper in registry.PAPERS.values()]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>iclx: which claims of which paper reproduce</title>"
            f"<style>{CSS}</style></head>\n<body>\n<header><h1>iclx: which claims of which paper reproduce</h1>"
            f'<p class="lede">{code_spans(markdown.GENERATED_NOTE)}</p><p class="lede">{code_spans(markdown.SCALES)}</p>'
            f'{legend}</header>\n'
            f"<nav>{overview(all_runs)}</nav>\n<main>\n" + "\n".join(sections) + "\n</main>\n</body></html>\n")
