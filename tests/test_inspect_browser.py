"""The page of ``wazaot explore`` in a real headless browser (Debian's ``chromium``).

A probe script appended to the page selects a function, hovers over instructions with
``dispatchEvent`` and writes what got highlighted into the DOM, which
``chromium --dump-dom`` prints. A screenshot of the same page goes to the test's
temporary directory; ``WAZAOT_EXPLORE_SCREENSHOT=docs/explore.png`` also writes it
there (the picture in the README).

Skipped when chromium is not installed (``apt-get install -y chromium``).
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

from wazaot.cli import main

REPO = Path(__file__).resolve().parents[1]
ADD = REPO / "examples" / "add.wasm"
SCREENSHOT_ENV = "WAZAOT_EXPLORE_SCREENSHOT"

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="chromium is not installed (apt-get install -y chromium)"
)

PROBE = """
<script>
window.onerror = (msg, src, line) => { document.body.dataset.result = JSON.stringify({error: msg + " @" + line}); };
(() => {  // the page's own names are top-level constants: keep ours apart
const out = {};
const rows = sel => [...document.querySelectorAll(sel)];
const hover = el => el.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
const filter = document.getElementById("filter");
filter.value = "fact";
filter.dispatchEvent(new Event("input"));
out.filtered = rows("#functions li").map(li => li.textContent);
rows("#functions li")[0].dispatchEvent(new MouseEvent("click", {bubbles: true}));
out.hash = location.hash;
out.title = document.querySelector("#wasm h2").textContent;
const mul = rows("#wasm .row").find(r => / i64\\.mul$/.test(r.textContent));
hover(mul);
out.fromWasm = rows("#code .row.hl").map(r => r.textContent);
const sub = rows("#code .row").find(r => / lea rcx, \\[rdi - 1\\]/.test(r.textContent));
hover(sub);
out.fromCode = rows("#wasm .row.hl").map(r => r.textContent);
out.wasmHighlighted = mul.classList.contains("hl");
sub.dispatchEvent(new MouseEvent("click", {bubbles: true}));
out.pinned = rows(".row.pin").length;
hover(mul);
document.body.dataset.result = JSON.stringify(out);
})();
</script>
"""


def chromium(*args: str) -> str:
    assert BROWSER is not None
    proc = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return proc.stdout


def test_hover_highlights_the_counterpart(tmp_path: Path) -> None:
    page = tmp_path / "add.html"
    assert main(["explore", str(ADD), "-o", str(page)]) == 0
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    dom = chromium("--dump-dom", probe.as_uri())
    found = re.search(r'data-result="([^"]*)"', dom)
    assert found, dom[-2000:]
    result = json.loads(html.unescape(found[1]))
    assert "error" not in result, result
    assert result["filtered"] == ["1 factorial"]
    assert result["hash"] == "#f=1" and result["title"] == "wasm: 1 factorial"
    # i64.mul became `mov rcx, rax; imul rcx, rdi`.
    texts = [re.sub(r"^\S+\s+(?:[0-9a-f]{2} )*[0-9a-f]{2}\s+", "", t) for t in result["fromWasm"]]
    assert texts == ["mov rcx, rax", "imul rcx, rdi"]
    assert result["fromCode"] and result["fromCode"][0].endswith("i64.sub")
    assert result["wasmHighlighted"] is False  # the hover moved to the machine code
    assert result["pinned"] == 2  # i64.sub and its instruction (lea rcx, [rdi - 1])

    shot = tmp_path / "explore.png"
    chromium("--window-size=1200,640", f"--screenshot={shot}", probe.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    target = os.environ.get(SCREENSHOT_ENV)
    if target:
        shutil.copyfile(shot, REPO / target)
