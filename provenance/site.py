"""A static site of a store's documents: `provenance report -o DIR`.

Owns the site's pages and files: an index of documents (filterable), per
document a timeline of its versions (an inline SVG chart: capture time
against the size of each change, content and formatting apart; repeats and
observations marked), a table of versions linking each one's text, raw
snapshot and metadata, a diff page per consecutive pair (the diff report)
and a picker for any two versions.  Every page opens from the file system:
no server, no network, inline CSS and JS under a strict
Content-Security-Policy, as the diff report.

It only reads the store.  Re-run on a grown store it renders only what is
new: a manifest (`.provenance-site.json`) remembers what each file was made
from (commits, extraction, tool version), and a file whose inputs did not
change is neither rendered nor written again.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .visible import escape_html

if TYPE_CHECKING:
    from .store import Store, Version

MANIFEST = ".provenance-site.json"
# Documents with at most this many versions get a diff page for every pair
# (the picker opens any of them); longer ones for consecutive pairs only.
ALL_PAIRS_MAX_VERSIONS = 12

_CSS = """
:root { --ink:#1d232b; --faint:#5d6673; --line:#dde1e7; --paper:#fff; --bg:#f5f6f8; --add:#12562b; --del:#9b1c1c; --fmt:#6b5b00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--ink); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.5rem; margin: .2rem 0 1rem; overflow-wrap: anywhere; unicode-bidi: isolate; }
table { width: 100%; border-collapse: collapse; background: var(--paper); border: 1px solid var(--line); }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--faint); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash { font: 12px ui-monospace, monospace; overflow-wrap: anywhere; }
.add { color: var(--add); } .del { color: var(--del); } .fmt { color: var(--fmt); }
.panel { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 1rem 0; }
input[type=search], select, button { font: inherit; padding: .3rem .5rem; }
svg text { font: 11px system-ui, sans-serif; fill: var(--faint); }
.cf { font: 600 .7em ui-monospace, monospace; border: 1px dashed currentColor; padding: 0 .15em; }
.muted { color: var(--faint); font-size: 13px; }
@media print { .no-print { display: none; } body { background: #fff; } .panel, table { border-color: #999; } }
"""

_INDEX_JS = """
document.getElementById('filter').addEventListener('input', function () {
  var q = this.value.toLowerCase(), shown = 0;
  document.querySelectorAll('#documents tbody tr').forEach(function (tr) {
    var hit = tr.getAttribute('data-name').toLowerCase().indexOf(q) >= 0;
    tr.hidden = !hit; if (hit) shown++;
  });
  document.getElementById('shown').textContent = shown;
});
"""

_PICKER_JS = """
(function () {
  var form = document.getElementById('picker');
  if (!form) return;
  var pairs = JSON.parse(form.getAttribute('data-pairs'));
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var a = +form.elements.a.value, b = +form.elements.b.value, out = document.getElementById('picked');
    if (a > b) { var t = a; a = b; b = t; }
    var page = pairs[a + '-' + b];
    if (a === b) { out.textContent = 'Pick two different versions.'; return; }
    if (page) { window.location.href = page; return; }
    out.textContent = 'Not pre-rendered: run  provenance diff ' + form.getAttribute('data-doc') + '@' + a + ' ' +
                      form.getAttribute('data-doc') + '@' + b + ' -o diff.html';
  });
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _page(title: str, body: str, js: str = "") -> str:
    scripts = f"<script>{js}</script>" if js else ""
    csp = f"default-src 'none'; style-src {_csp_hash(_CSS)}; img-src data:" + (f"; script-src {_csp_hash(js)}" if js else "")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)} · provenance</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
            f"{body}\n</main>\n{scripts}\n</body>\n</html>\n")


def _esc(text) -> str:
    return escape_html(str(text), html.escape)


def _doc_dir(doc_id: str) -> str:
    """The document's folder: its id quoted, with "_" for "%" (and "_5F" for
    "_"), so the name is unique and no browser decodes it on the way."""
    return "d/" + urllib.parse.quote(doc_id, safe="").replace("_", "%5F").replace("%", "_")


@dataclass
class SiteResult:
    folder: Path
    documents: int = 0
    written: list[str] = field(default_factory=list)  # files (re)written this run
    unchanged: int = 0  # files whose inputs had not changed: not rendered again

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "documents": self.documents, "written": len(self.written),
                "unchanged": self.unchanged}


class _Writer:
    """Writes files into the site, skipping those whose recorded inputs match."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.result = SiteResult(folder)
        try:
            self.manifest = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError):
            self.manifest = {}
        if not isinstance(self.manifest, dict) or self.manifest.get("tool") != __version__:
            self.manifest = {}  # another tool version renders differently: everything again
        self.manifest.setdefault("files", {})
        self.manifest["tool"] = __version__

    def fresh(self, rel: str, key: str) -> bool:
        """True when `rel` exists and was made from `key`: nothing to do."""
        if self.manifest["files"].get(rel) == key and (self.folder / rel).exists():
            self.result.unchanged += 1
            return True
        return False

    def write(self, rel: str, key: str, data: bytes | str) -> None:
        path = self.folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temp.write_bytes(raw)
        os.replace(temp, path)  # a reader never sees half a page
        self.manifest["files"][rel] = key
        self.result.written.append(rel)

    def close(self) -> None:
        self.write(MANIFEST, "", json.dumps(self.manifest, indent=1, sort_keys=True))
        self.result.written.pop()  # the manifest itself is not a page


def _timeline_svg(points: list[dict]) -> str:
    """Capture time (x) against words changed (y): content as filled dots,
    formatting changes as open squares; repeats (R) and observations (ticks)."""
    w, h, pad = 1000, 220, 40
    times = [datetime.fromisoformat(p["captured_at"]).timestamp() for p in points]
    t0, t1 = min(times), max(times)
    span = (t1 - t0) or 1.0
    top = max([p["content"] for p in points] + [p["formatting"] for p in points] + [1])

    def x(t: float) -> float:
        return pad + (w - 2 * pad) * ((t - t0) / span if t1 > t0 else 0.5)

    def y(v: float) -> float:
        return h - pad - (h - 2 * pad) * (v / top)

    parts = [f'<svg id="timeline" viewBox="0 0 {w} {h}" width="100%" role="img" '
             f'aria-label="Versions over time: words changed by each">',
             f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#999"/>',
             f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#999"/>',
             f'<text x="{pad}" y="{pad - 8}">{top} words</text>',
             f'<text x="{pad}" y="{h - 12}">{html.escape(points[0]["captured_at"])}</text>',
             f'<text x="{w - pad}" y="{h - 12}" text-anchor="end">{html.escape(points[-1]["captured_at"])}</text>']
    for p, t in zip(points, times):
        cx = x(t)
        label = (f'v{p["number"]} {p["captured_at"]}: +{p["added"]} -{p["removed"]} words, '
                 f'{p["formatting"]} formatting changes')
        parts.append(f'<a href="{p["href"]}"><circle class="point content" data-version="{p["number"]}" '
                     f'cx="{cx:.1f}" cy="{y(p["content"]):.1f}" r="5" fill="#1e3f8a"><title>{html.escape(label)}</title>'
                     f'</circle></a>')
        if p["formatting"]:
            fy = y(p["formatting"])
            parts.append(f'<rect class="point formatting" x="{cx - 4:.1f}" y="{fy - 4:.1f}" width="8" height="8" '
                         f'fill="none" stroke="#6b5b00"/>')
        if p["repeats"]:
            parts.append(f'<text x="{cx:.1f}" y="{y(p["content"]) - 9:.1f}" text-anchor="middle">='
                         f'v{p["repeats"]}</text>')
        for seen in p["seen"]:
            sx = x(datetime.fromisoformat(seen).timestamp())
            parts.append(f'<line class="seen" x1="{sx:.1f}" y1="{h - pad}" x2="{sx:.1f}" y2="{h - pad + 6}" '
                         f'stroke="#1e3f8a"><title>v{p["number"]} seen again {html.escape(seen)}</title></line>')
    parts.append("</svg>")
    return "".join(parts)


def write_site(store: "Store", folder: str | os.PathLike, doc_ids: list[str] | None = None,
               context: int = 40, view: str = "inline") -> SiteResult:
    """Write (or bring up to date) the site for `doc_ids` (default: every document);
    `view`: the view its diff pages open in (each switches to the other)."""
    from .diff import compare
    from .ingest import side_for_version
    from .render import render_html

    folder = Path(folder)
    out = _Writer(folder)
    summaries = {s.document: s for s in store.documents()}
    wanted = doc_ids or sorted(summaries)
    rows = []
    for doc_id in wanted:
        versions = store.versions(doc_id)
        if not versions:
            from .errors import ProvenanceError

            raise ProvenanceError(f"unknown document: {doc_id}")
        out.result.documents += 1
        base = _doc_dir(doc_id)
        _load_version_trees(store, versions)
        latest = {v.number: store.latest_extraction(v) for v in versions}
        sides: dict[int, object] = {}

        def side(v: "Version"):
            if v.number not in sides:
                sides[v.number] = side_for_version(store, v)
            return sides[v.number]

        # The files of each version: text, raw snapshot, metadata.
        for v in versions:
            key = f"{v.commit}:{latest[v.number]}"
            ext = _raw_ext(v)
            for rel, make in ((f"{base}/v/{v.number}.txt", lambda v=v: side(v).text),  # read once: the diff needs it too
                              (f"{base}/v/{v.number}.raw.{ext}", lambda v=v: store.raw(v)),
                              (f"{base}/v/{v.number}.json", lambda v=v: json.dumps(
                                  {**v.to_dict(), "extractions": [e.to_dict() for e in store.extractions(v)]},
                                  ensure_ascii=False, indent=2) + "\n")):
                if not out.fresh(rel, key):
                    out.write(rel, key, make())
        # Diff pages: consecutive pairs, or every pair of a short history.
        by_number = {v.number: v for v in versions}
        numbers = sorted(by_number)
        if len(numbers) <= ALL_PAIRS_MAX_VERSIONS:
            pairs = [(a, b) for i, a in enumerate(numbers) for b in numbers[i + 1:]]
        else:
            pairs = list(zip(numbers, numbers[1:]))
        stats: dict[int, dict] = {}
        stats_key = out.manifest.setdefault("stats", {})
        for a, b in pairs:
            va, vb = by_number[a], by_number[b]
            rel = f"{base}/diff/{a}-{b}.html"
            key = f"{va.commit}:{latest[a]}:{vb.commit}:{latest[b]}:{view}"
            consecutive = numbers.index(b) == numbers.index(a) + 1
            cached = stats_key.get(rel)
            if out.fresh(rel, key) and cached:
                if consecutive:
                    stats[b] = cached
                continue
            cmp = compare(side(va), side(vb))
            out.write(rel, key, render_html(cmp, context=context, view=view))
            stats_key[rel] = {"content": cmp.stats["words_inserted"] + cmp.stats["words_deleted"],
                              "formatting": cmp.stats["formatting_changes"],
                              "added": cmp.stats["words_inserted"], "removed": cmp.stats["words_deleted"]}
            if consecutive:
                stats[b] = stats_key[rel]
        # The document's page: timeline, versions, picker.
        points = []
        for v in versions:
            s = stats.get(v.number, {"content": 0, "formatting": 0, "added": 0, "removed": 0})
            points.append({"number": v.number, "captured_at": v.captured_at, "seen": list(v.seen),
                           "repeats": v.repeats, "href": f"v/{v.number}.json", **s})
        pair_links = {f"{a}-{b}": f"diff/{a}-{b}.html" for a, b in pairs}
        page_key = hashlib.sha256(json.dumps([points, pair_links, [v.commit for v in versions], latest],
                                             sort_keys=True).encode()).hexdigest()
        rel = f"{base}/index.html"
        if not out.fresh(rel, page_key):
            out.write(rel, page_key, _document_page(doc_id, versions, points, pair_links, latest))
        last = versions[-1]
        formats = sorted({v.media_type.split(";")[0] for v in versions})
        sources = sorted({v.source for v in versions if v.source})
        rows.append((doc_id, base, len(versions), versions[0].captured_at, summaries[doc_id].last_captured_at,
                     formats, sources, last))
    index = _index_page(rows)
    key = hashlib.sha256(index.encode()).hexdigest()
    if not out.fresh("index.html", key):
        out.write("index.html", key, index)
    out.close()
    return out.result


def _load_version_trees(store: "Store", versions: list["Version"]) -> None:
    """Cache the version folders' trees in one pipelined round of reads, so
    latest_extraction (which looks for extractions/ in each) asks git
    nothing more: a round trip per version was half of a re-run with
    nothing new (6.9 of 13.7 s for 20,000 versions)."""
    tip = store.objects.tip()
    shas = []
    for v in versions:
        parent, _, name = v.path.rpartition("/")
        bucket = store.objects.tree_at(tip, parent)  # one per 100 versions, cached
        if bucket and name in bucket:
            shas.append(bucket[name][1])
    store.objects.load_trees(shas)


def _raw_ext(v: "Version") -> str:
    # A captured page is shown as its source, never run from the site (its scripts are the capture's).
    ext = v.snapshot.rsplit(".", 1)[-1]
    return "html.txt" if ext == "html" else ext


def _change(v: "Version") -> str:
    if v.words_added is None:
        return "new"
    text = f'<span class="add">+{v.words_added}</span> <span class="del">-{v.words_removed}</span>'
    return text + (f" =v{v.repeats}" if v.repeats else "")


def _index_page(rows) -> str:
    body = ["<h1>Documents</h1>",
            f'<p class="no-print"><label>Filter by name <input type="search" id="filter" autocomplete="off"></label> '
            f'<span class="muted"><span id="shown">{len(rows)}</span> of {len(rows)} shown</span></p>',
            '<table id="documents"><thead><tr><th>Document</th><th>Versions</th><th>First capture</th>'
            "<th>Last capture</th><th>Formats</th><th>Sources</th><th>Last change</th></tr></thead><tbody>"]
    for doc_id, base, n, first, last_capture, formats, sources, last in rows:
        shown_sources = ", ".join(_esc(s) for s in sources[:2]) + (f" (+{len(sources) - 2})" if len(sources) > 2 else "")
        body.append(f'<tr data-name="{html.escape(doc_id)}"><td><a href="{base}/index.html">{_esc(doc_id)}</a></td>'
                    f'<td class="num">{n}</td><td>{_esc(first)}</td><td>{_esc(last_capture)}</td>'
                    f'<td>{_esc(", ".join(formats))}</td><td>{shown_sources}</td><td>{_change(last)}</td></tr>')
    body.append("</tbody></table>")
    body.append(f'<p class="muted">Made by provenance {html.escape(__version__)} from the store; every version '
                f"page states the hashes and commit ids of what it shows. The audit trail: "
                f"<code>git -C STORE log</code>.</p>")
    return _page("Documents", "\n".join(body), _INDEX_JS)


def _document_page(doc_id, versions, points, pair_links, latest) -> str:
    body = ['<p class="no-print"><a href="../../index.html">All documents</a></p>', f"<h1>{_esc(doc_id)}</h1>",
            f'<div class="panel"><p class="muted">Each dot is a version at its capture time, its height the words '
            f"its content changed against the one before; squares: formatting changes; ticks: seen again; "
            f"=vN: the same bytes as version N.</p>{_timeline_svg(points)}</div>"]
    options = "".join(f'<option value="{v.number}">v{v.number} ({html.escape(v.captured_at)})</option>' for v in versions)
    if len(versions) > 1:
        body.append(f'<form id="picker" class="panel no-print" data-doc="{html.escape(doc_id)}" '
                    f"data-pairs='{html.escape(json.dumps(pair_links))}'>Compare "
                    f'<select name="a">{options}</select> with <select name="b">{options}</select> '
                    f'<button type="submit">Open</button> <span id="picked" class="muted"></span></form>')
    body.append("<table><thead><tr><th>#</th><th>Captured</th><th>Source</th><th>Format</th><th>Change</th>"
                "<th>Hashes and commit</th><th>Files</th></tr></thead><tbody>")
    for i, v in enumerate(versions):
        ext = _raw_ext(v)
        diff = ""
        if i:
            prev = versions[i - 1].number
            diff = f' · <a href="diff/{prev}-{v.number}.html">diff</a>'
        seen = f'<br><span class="muted">seen again {len(v.seen)}×</span>' if v.seen else ""
        extraction = f' <span class="muted">(extraction {latest[v.number]})</span>' if latest[v.number] > 1 else ""
        body.append(f'<tr id="v{v.number}"><td class="num">{v.number}</td><td>{_esc(v.captured_at)}{seen}</td>'
                    f"<td>{_esc(v.source or '-')}</td><td>{_esc(v.media_type)}</td><td>{_change(v)}</td>"
                    f'<td><span class="hash">raw sha256 {v.content_sha256}<br>text sha256 {v.text_sha256}'
                    f"<br>commit {v.commit}</span>{extraction}</td>"
                    f'<td><a href="v/{v.number}.txt">text</a> · <a href="v/{v.number}.raw.{ext}">raw</a> · '
                    f'<a href="v/{v.number}.json">metadata</a>{diff}</td></tr>')
    body.append("</tbody></table>")
    body.append(f'<p class="muted">The audit trail of this document: <code>git -C STORE log --grep='
                f"'^Document: {html.escape(doc_id)}$'</code>. Made by provenance {html.escape(__version__)}.</p>")
    return _page(doc_id, "\n".join(body), _PICKER_JS)
