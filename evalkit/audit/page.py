"""audit.html: the audit queue as one self-contained page (no network, works from file://): search, sort by any
column, filter by bot, slice or failed score, and expand a case to read its whole conversation and every score.
The cases travel as JSON inside the page; the script is plain JavaScript, inline."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from evalkit.audit.case_view import CaseView

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em} .bar{display:flex;gap:.6em;flex-wrap:wrap;margin:.8em 0}
input,select{font:inherit;padding:.25em .4em}
table{border-collapse:collapse;width:100%} th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;
vertical-align:top} th{cursor:pointer;background:#f4f4f4;user-select:none} tr.case{cursor:pointer}
tr.case:hover{background:#fafae8} .fail{color:#b00;font-weight:600} .err{color:#b00}
.detail td{background:#fbfbfb} .turn{margin:.2em 0} .role{font-weight:600;display:inline-block;width:6em}
.reply{border-left:3px solid #36c;padding-left:.6em;margin:.5em 0} .human{border-left:3px solid #3a3}
.scores td{border:none;padding:.1em .6em} #count{color:#666}
"""

_SCRIPT = r"""
const cases = JSON.parse(document.getElementById('cases').textContent);
const body = document.querySelector('#queue tbody');
const search = document.getElementById('search'), botSel = document.getElementById('bot'),
      sliceSel = document.getElementById('slice'), failSel = document.getElementById('failed');
let sortKey = 'position', sortUp = true;
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
const failed = c => c.scores.filter(s => s.passed === false).map(s => s.name);
const slices = c => Object.entries(c.slices).map(([k, v]) => k + '=' + v);
const reply = c => c.error ? `<span class="err">error: ${esc(c.error)}</span>` : esc(c.reply);
function options(select, values) {
  [...new Set(values)].sort().forEach(v => select.add(new Option(v, v)));
}
options(botSel, cases.map(c => c.bot));
options(sliceSel, cases.flatMap(slices));
options(failSel, cases.flatMap(failed));
function text(c) {
  return [c.case_id, c.bot, c.reply, c.error, c.reference, ...c.reasons, ...slices(c),
          ...c.context.map(t => t.text)].join(' ').toLowerCase();
}
function value(c, key) {
  if (key === 'failed') return failed(c).length;
  if (key === 'slices') return slices(c).join(', ');
  if (key === 'reasons') return c.reasons.join('; ');
  return c[key] ?? '';
}
function detail(c) {
  const turns = c.context.map(t =>
    `<div class="turn"><span class="role">${esc(t.role)}</span>${esc(t.text)}</div>`);
  const scores = c.scores.map(s => `<tr><td>${esc(s.name)}</td>
    <td>${s.value === null ? '–' : (+s.value).toPrecision(3)}</td>
    <td class="${s.passed === false ? 'fail' : ''}">${s.passed === null ? '' : (s.passed ? 'pass' : 'FAIL')}</td>
    <td>${s.passed === false ? esc(s.rationale) : ''}</td></tr>`);
  return `<td colspan="6"><div class="context">${turns.join('')}</div>
    <div class="reply"><b>${esc(c.bot)}</b>: ${reply(c)}
    ${c.handoff === null && c.expected_handoff === null ? ''
      : ` (handoff: ${c.handoff}, expected: ${c.expected_handoff})`}</div>
    <div class="reply human"><b>human agent</b>: ${esc(c.reference)}</div>
    <table class="scores">${scores.join('')}</table></td>`;
}
function draw() {
  const q = search.value.toLowerCase();
  const shown = cases.filter(c => (!q || text(c).includes(q)) && (!botSel.value || c.bot === botSel.value)
    && (!sliceSel.value || slices(c).includes(sliceSel.value))
    && (!failSel.value || failed(c).includes(failSel.value)));
  shown.sort((a, b) => { const x = value(a, sortKey), y = value(b, sortKey);
    return (x < y ? -1 : x > y ? 1 : 0) * (sortUp ? 1 : -1); });
  body.innerHTML = '';
  for (const c of shown) {
    const row = body.insertRow();
    row.className = 'case';
    row.dataset.case = c.bot + ' ' + c.case_id;
    row.innerHTML = `<td>${c.position}</td><td>${esc(c.bot)}</td>
      <td>${esc(c.case_id)}<br><small>${esc(slices(c).join(', '))}</small></td>
      <td>${esc(c.reasons.join('; '))}</td><td>${reply(c)}</td>
      <td class="fail">${esc(failed(c).join(', '))}</td>`;
    row.addEventListener('click', () => {
      const next = row.nextElementSibling;
      if (next && next.classList.contains('detail')) { next.remove(); return; }
      const open = document.createElement('tr');
      open.className = 'detail';
      open.innerHTML = detail(c);
      row.after(open);
    });
  }
  document.getElementById('count').textContent = `${shown.length} of ${cases.length} cases`;
}
document.querySelectorAll('#queue th').forEach(th => th.addEventListener('click', () => {
  sortUp = sortKey === th.dataset.key ? !sortUp : true;
  sortKey = th.dataset.key;
  draw();
}));
[search, botSel, sliceSel, failSel].forEach(el => el.addEventListener('input', draw));
draw();
"""


def render_page(views: Sequence[CaseView], title: str) -> str:
    data = json.dumps([v.as_json() for v in views], ensure_ascii=False).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<style>{_STYLE}</style></head>
<body><h1>{html.escape(title)}</h1>
<div class="bar"><input id="search" type="search" placeholder="search conversations, replies, reasons" size="40">
<select id="bot"><option value="">every bot</option></select>
<select id="slice"><option value="">every slice</option></select>
<select id="failed"><option value="">any score</option></select><span id="count"></span></div>
<table id="queue"><thead><tr><th data-key="position">#</th><th data-key="bot">bot</th><th data-key="case_id">case</th>
<th data-key="reasons">why</th><th data-key="reply">reply</th><th data-key="failed">failed</th></tr></thead>
<tbody></tbody></table>
<script id="cases" type="application/json">{data}</script>
<script>{_SCRIPT}</script>
</body></html>
"""
