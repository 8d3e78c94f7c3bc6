"""The report built from a real smoke run, and the page opened in headless Chromium: every image
loads, no console errors, one scoreboard row per claim, no horizontal scrolling at laptop width; a
screenshot (and a printed PDF) are written for a person to look at.

The run and the report live in a temporary copy of the repository's READMEs: nothing here writes into
the real experiments/ folder. Without Chromium the browser test is skipped, unless ``CI`` is set
(then a missing Chromium is a failure): ``apt-get install chromium``.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from iclx.framework.claim_rows import interval_text
from iclx.experiments import TARGETS
from iclx.report import build, runs

REPO = Path(__file__).resolve().parents[2]
TARGET = TARGETS["lipschitz"]       # the quickest smoke run of the suite
WIDTH = 1280                         # laptop width, CSS pixels


@pytest.fixture(scope="module")
def smoke_root(tmp_path_factory, smoke_run):
    """A repository root holding the real READMEs (text only) and TARGET's smoke run (the session's
    shared one: figures, results.json, arrays.npz), with the report built by ``python -m iclx.report
    --root``."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copy(REPO / "README.md", root / "README.md")
    for readme in (REPO / "experiments").rglob("README.md"):
        dest = root / readme.relative_to(REPO)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(readme, dest)
    run = smoke_run(TARGET.experiment, TARGET.variant)
    assert run.code == 0
    (root / TARGET.figures).mkdir(parents=True, exist_ok=True)
    for path in run.figures.iterdir():
        if path.is_file():
            shutil.copy(path, root / TARGET.figures / path.name)
    assert build.main(["--root", str(root)]) == 0
    return root


def test_report_from_a_smoke_run(smoke_root):
    results = json.loads((smoke_root / TARGET.figures / "results.json").read_text())
    page = (smoke_root / "experiments" / "index.html").read_text()
    article = re.search(rf'<article class="target" id="{TARGET.name}".*?</article>', page, re.DOTALL).group(0)
    rows = re.findall(r'<tr class="claim" data-claim="([^"]+)">(.*?)</tr>', article, re.DOTALL)
    assert [html.unescape(cid) for cid, _ in rows] == [row["id"] for row in results["claims"]]
    for (_, body), row in zip(rows, results["claims"]):
        shown = re.search(r'<span class="mark">(.)</span><span class="val">([^<]*)</span>', body)
        assert shown.groups() == (runs.mark(row), html.escape(interval_text(row)))   # the stored numbers
        assert "not evidence at this scale (smoke)" in body                       # smoke is never evidence
    assert "smoke run only: not evidence" in article or not results["claims"]
    assert "paper: not run" in article and "cpu: not run" in article
    for png in (smoke_root / TARGET.figures).glob("*.png"):
        assert f'src="{runs.relpath(f"{TARGET.figures}/{png.name}", "experiments")}"' in article
    for other in TARGETS.values():
        if other.figures != TARGET.figures and not other.scale_of:   # scale_of: a column, not a row
            assert f"missing — run <code>make reproduce-fig-{other.name}</code>" in page
    board = (smoke_root / "experiments" / "README.md").read_text()
    section = board.split(f"### {TARGET.name}\n")[1].split("\n## ")[0].split("\n### ")[0]
    table_rows = [line for line in section.splitlines() if line.startswith("| ") and "*not evidence at smoke*" in line]
    assert len(table_rows) == len(results["claims"])
    assert build.main(["--root", str(smoke_root), "--check"]) == 0


# ------------------------------------------------------------------ the browser

CHECK = """<script>
window.__iclx = {errors: []};
window.addEventListener('error', function (e) {
  var t = e.target;
  window.__iclx.errors.push(t && t !== window ? 'failed to load ' + (t.src || t.href) : String(e.message));
}, true);
console.error = function () { window.__iclx.errors.push('console: ' + Array.prototype.join.call(arguments, ' ')); };
window.addEventListener('load', function () {
  var out = {images: [], rows: {}, errors: window.__iclx.errors,
             width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight};
  Array.prototype.forEach.call(document.images, function (i) {
    out.images.push({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}); });
  Array.prototype.forEach.call(document.querySelectorAll('article.target'), function (a) {
    out.rows[a.getAttribute('data-target')] = a.querySelectorAll('tr.claim').length; });
  var pre = document.createElement('pre'); pre.id = 'iclx-check'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI is unset, so skipping")
    profile = tmp_path_factory.mktemp("chromium-profile")

    def run(*args: str) -> subprocess.CompletedProcess:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", f"--user-data-dir={profile}"]
        done = subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done
    return run


def test_page_in_chromium(smoke_root, chromium, tmp_path_factory):
    page = smoke_root / "experiments" / "index.html"
    probe = page.with_name("_check.html")                  # same folder: same relative image paths
    probe.write_text(page.read_text().replace("<head>", "<head>" + CHECK, 1))
    done = chromium("--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
                    f"--window-size={WIDTH},900", "--dump-dom", probe.as_uri())
    probe.unlink()
    found = re.search(r'<pre id="iclx-check">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, "the check script did not run"
    check = json.loads(html.unescape(found.group(1)))
    results = json.loads((smoke_root / TARGET.figures / "results.json").read_text())

    assert check["images"], "no figure on the page"
    assert [img["src"] for img in check["images"] if not img["ok"]] == []
    assert check["errors"] == []
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert check["rows"][TARGET.name] == len(results["claims"])
    assert all(n == 0 for name, n in check["rows"].items() if name != TARGET.name)   # missing: no rows
    assert check["width"] <= WIDTH, "the page scrolls sideways at laptop width"

    out = tmp_path_factory.mktemp("report-screens")
    shot, pdf = out / "report.png", out / "report.pdf"
    chromium(f"--window-size={WIDTH},{min(check['height'], 16000)}", f"--screenshot={shot}", page.as_uri())
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    print(f"\nscreenshot of the report: {shot}\nprinted report: {pdf}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-" and re.search(rb"/Type\s*/Page\b", pdf.read_bytes())
