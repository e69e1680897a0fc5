"""``wazaot explore``: one self-contained HTML page, wasm on the left and machine code
on the right; hovering over an instruction highlights its counterparts, clicking
pins the highlight.

The page needs no network: CSS and JavaScript are inline, and the module is embedded
as JSON (one compact record per function). A function is rendered only when it is
selected, and the list on the left shows at most ``LIST_LIMIT`` names matching the
filter, so the page stays quick with thousands of functions. The selected function
is kept in the address (``#f=INDEX``), so a link can point at one.

Elements a test (or a user script) can rely on: ``#filter`` (the filter box),
``#functions li[data-k]`` (the list; ``data-k`` indexes the embedded functions),
``#wasm .row[data-w]`` (a wasm instruction at byte offset ``data-w``),
``#code .row[data-w]`` (a machine instruction from that wasm instruction), the class
``hl`` on highlighted rows.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from .annotate import FunctionView

LIST_LIMIT = 2000


def page_data(views: Sequence[FunctionView]) -> list[dict[str, object]]:
    """The embedded records: name, index, extent, wasm rows ``[offset, text]`` and
    machine rows ``[address, hex bytes, text, wasm offset or -1, role, note]``."""
    return [
        {
            "n": v.name,
            "i": -1 if v.index is None else v.index,
            "s": v.start,
            "e": v.end,
            "w": [[off, text] for off, text in v.wasm],
            "c": [[ln.address, ln.raw.hex(), ln.text, -1 if ln.wasm is None else ln.wasm,
                   ln.role, ln.note] for ln in v.lines],  # fmt: skip
        }
        for v in views
    ]


def html_page(views: Sequence[FunctionView], title: str, arch: str) -> str:
    """The whole page as text."""
    data = json.dumps({"title": title, "arch": arch, "functions": page_data(views)},
                      separators=(",", ":"))  # fmt: skip
    data = data.replace("</", "<\\/")  # never close the script element early
    return (
        _TEMPLATE.replace("%TITLE%", html.escape(f"{title} ({arch})"))
        .replace("%LIMIT%", str(LIST_LIMIT))
        .replace("%DATA%", data)
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>%TITLE% - wazaot explore</title>
<style>
body { margin: 0; font: 13px/1.35 ui-monospace, Menlo, Consolas, monospace; color: #222;
       display: grid; grid-template-columns: 260px 1fr 1.6fr; height: 100vh; }
#side { border-right: 1px solid #ccc; display: flex; flex-direction: column; min-height: 0; }
#side h1 { font-size: 13px; margin: 6px 8px; }
#filter { margin: 0 8px 6px; padding: 3px; font: inherit; }
#count { margin: 0 8px 4px; color: #777; }
#functions { list-style: none; margin: 0; padding: 0; overflow: auto; flex: 1; }
#functions li { padding: 1px 8px; cursor: pointer; white-space: nowrap; overflow: hidden;
                text-overflow: ellipsis; }
#functions li:hover { background: #eef; }
#functions li.sel { background: #ccd8ff; }
.pane { overflow: auto; min-height: 0; border-right: 1px solid #ccc; }
.pane h2 { font-size: 13px; margin: 0; padding: 4px 8px; background: #f4f4f4;
           position: sticky; top: 0; border-bottom: 1px solid #ddd; }
.row { white-space: pre; padding: 0 8px; cursor: pointer; }
.row:hover { background: #f0f0f0; }
.row .a { color: #888; } .row .b { color: #aaa; } .row .r { color: #a60; }
.row.nocode { color: #999; }
.row.hl { background: #ffe680; } .row.pin { background: #ffc940; }
.role-trap { color: #b00; } .role-check { color: #06a; } .role-frame { color: #080; }
</style></head>
<body>
<div id="side"><h1>%TITLE%</h1>
<input id="filter" type="search" placeholder="filter functions" autocomplete="off">
<div id="count"></div><ul id="functions"></ul></div>
<div class="pane" id="wasm"><h2>wasm</h2><div id="wasm-rows"></div></div>
<div class="pane" id="code"><h2>machine code</h2><div id="code-rows"></div></div>
<script id="data" type="application/json">%DATA%</script>
<script>
"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const FUNCS = DATA.functions, LIMIT = %LIMIT%;
const list = document.getElementById("functions"), filter = document.getElementById("filter");
const wasmRows = document.getElementById("wasm-rows"), codeRows = document.getElementById("code-rows");
let current = -1, pinned = null;
const hex = (n, w) => n.toString(16).padStart(w || 0, "0");
const ROLE_CLASS = {"trap stub": "role-trap", "bounds check": "role-check",
  "interrupt check": "role-check", "stack check": "role-check", "prologue": "role-frame",
  "epilogue": "role-frame", "entry thunk": "role-frame", "jump table": "role-frame"};

function label(f) { return (f.i >= 0 ? f.i + " " : "") + f.n; }

function renderList() {
  const q = filter.value.toLowerCase();
  const frag = document.createDocumentFragment();
  let shown = 0, matched = 0;
  FUNCS.forEach((f, k) => {
    if (q && !label(f).toLowerCase().includes(q)) return;
    matched++;
    if (shown >= LIMIT) return;
    shown++;
    const li = document.createElement("li");
    li.textContent = label(f);
    li.dataset.k = k;
    if (k === current) li.className = "sel";
    frag.appendChild(li);
  });
  list.replaceChildren(frag);
  document.getElementById("count").textContent =
    matched + " of " + FUNCS.length + (matched > shown ? " (first " + shown + " listed)" : "");
}

function row(cls, w, html) {
  const d = document.createElement("div");
  d.className = "row" + (cls ? " " + cls : "");
  d.dataset.w = w;
  d.innerHTML = html;
  return d;
}
const esc = s => s.replace(/[&<>]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"})[c]);

function select(k) {
  if (k < 0 || k >= FUNCS.length) return;
  current = k; pinned = null;
  const f = FUNCS[k];
  const used = new Set(f.c.map(c => c[3]));
  const wf = document.createDocumentFragment();
  for (const [off, text] of f.w)
    wf.appendChild(row(used.has(off) ? "" : "nocode", off,
      '<span class="a">' + hex(off, 4) + "</span>  " + esc(text)));
  const cf = document.createDocumentFragment();
  for (const [addr, bytes, text, w, role, note] of f.c) {
    const b = bytes.replace(/(..)/g, "$1 ").trim();
    const r = role ? '  <span class="r ' + (ROLE_CLASS[role] || "") + '">; ' +
      esc(role + (note ? ": " + note : "")) + "</span>" : "";
    cf.appendChild(row("", w, '<span class="a">' + hex(addr, 6) + '</span>  <span class="b">' +
      b.padEnd(21) + "</span> " + esc(text) + r));
  }
  wasmRows.replaceChildren(wf);
  codeRows.replaceChildren(cf);
  document.querySelector("#wasm h2").textContent = "wasm: " + label(f);
  document.querySelector("#code h2").textContent = "machine code (" + DATA.arch + "): " +
    hex(f.s) + ".." + hex(f.e) + ", " + (f.e - f.s) + " bytes";
  for (const li of list.children) li.classList.toggle("sel", +li.dataset.k === k);
  if (location.hash !== "#f=" + k) history.replaceState(null, "", "#f=" + k);
}

function highlight(w, cls) {
  for (const el of document.querySelectorAll(".row." + cls)) el.classList.remove(cls);
  if (w === null || w === "-1") return [];
  const hits = document.querySelectorAll('.row[data-w="' + w + '"]');
  for (const el of hits) el.classList.add(cls);
  return hits;
}

function onRow(ev, cls) {
  const r = ev.target.closest(".row");
  if (!r) return;
  const hits = highlight(r.dataset.w, cls);
  if (cls === "pin") {
    pinned = r.dataset.w;
    const other = [...hits].find(h => h.parentNode !== r.parentNode);
    if (other && other.scrollIntoView) other.scrollIntoView({block: "nearest"});
  }
}
for (const pane of [wasmRows, codeRows]) {
  pane.addEventListener("mouseover", ev => onRow(ev, "hl"));
  pane.addEventListener("mouseleave", () => highlight(null, "hl"));
  pane.addEventListener("click", ev => onRow(ev, "pin"));
}
list.addEventListener("click", ev => { const li = ev.target.closest("li"); if (li) select(+li.dataset.k); });
filter.addEventListener("input", renderList);
window.addEventListener("hashchange", () => select(+(location.hash.match(/^#f=(\\d+)$/) || [0, 0])[1]));
renderList();
select(+(location.hash.match(/^#f=(\\d+)$/) || [0, 0])[1]);
</script></body></html>
"""
