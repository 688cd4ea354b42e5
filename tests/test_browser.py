"""The HTML report in a real headless Chromium (Playwright, system browser).

One browser for the module, a fresh page per test.  Reports are written to
files and opened from file:// URLs, as a reader would open them.  Without a
Chromium on PATH these tests skip (on CI, tests/browser.py installs one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import os

from browser import INSTALL_HINT, LAUNCH_ARGS, find_chromium
from provenance.diff import Side, compare
from provenance.render import render_html

playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "docs" / "samples"


@pytest.fixture(scope="module")
def browser():
    path = find_chromium()
    if path is None:
        pytest.skip(INSTALL_HINT)
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Report files: the sample pair, a move, hostile content, formatting only."""
    out = tmp_path_factory.mktemp("reports")
    old = (SAMPLES / "article-pdf-extract.txt").read_text(encoding="utf-8")
    new = (SAMPLES / "article-web-capture.txt").read_text(encoding="utf-8")
    moved = "The committee approved the budget after a long and heated debate on Tuesday."
    filler = "\n\n".join(
        " ".join(f"Filler sentence {i}.{j} talks about the harbour, the council and the weather." for j in range(5))
        for i in range(8)
    )
    hostile = "Intro <script>alert(1)</script> and &amp; <img src=x onerror=alert(2)> more."
    pages = {
        "sample": compare(Side(old, label="PDF extract"), Side(new, label="Web capture")),
        "move": compare(moved + "\n\n" + filler + "\n\nThe end.", filler + "\n\nThe end.\n\n" + moved.replace("heated", "bitter")),
        "hostile": compare(Side(hostile, label="<script>alert(3)</script>", source="javascript:alert(4)"),
                           Side(hostile.replace("more", "much more"), label="v2")),
        # "Trojan Source": U+202E makes "LIVE" display as "EVIL"; U+200B hides in a word.
        "bidi": compare(Side("Pay the account LIVE today. Total due: 100.", label="v1"),
                        Side("Pay the account \u202eLIVE\u202c today. Total du\u200be: 100. <script>alert(5)</script>",
                             label="v2 \u2067evil\u2069")),
    }
    paths = {}
    for name, cmp in pages.items():
        paths[name] = out / f"{name}.html"
        paths[name].write_text(render_html(cmp, context=10 if name == "move" else 40), encoding="utf-8")
    return paths


class Opened:
    """A page with what it logged, requested and popped up."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        self.url = path.as_uri()
        self.page.goto(self.url)

    def current(self) -> str | None:
        return self.page.evaluate("() => { const c = document.querySelectorAll('.current');"
                                  " return c.length === 1 ? c[0].id : (c.length ? 'many' : null); }")

    def in_view(self, element_id: str) -> bool:
        return self.page.evaluate(
            """id => { const r = document.getElementById(id).getBoundingClientRect();
                      return r.height > 0 && r.top >= 40 && r.bottom <= window.innerHeight; }""",
            element_id,
        )

    def counter(self) -> str:
        return self.page.inner_text("#nav-counter")


@pytest.fixture
def open_report(browser, reports):
    pages = []

    def _open(name: str) -> Opened:
        opened = Opened(browser, reports[name])
        pages.append(opened)
        return opened

    yield _open
    for opened in pages:
        opened.page.close()


def test_report_loads_with_no_errors_and_no_network(open_report):
    for name in ("sample", "move", "hostile"):
        r = open_report(name)
        r.page.wait_for_load_state("load")
        assert r.errors == [], name
        assert [m for m in r.console if m[0] in ("error", "warning")] == [], name
        assert r.requests == [r.url], name
        assert r.counter() in ("– / 15", "– / 1"), name


def test_keys_step_through_changes(open_report):
    r = open_report("sample")
    assert r.current() is None
    r.page.keyboard.press("n")
    assert r.current() == "c0" and r.counter() == "1 / 15" and r.in_view("c0")
    r.page.keyboard.press("n")
    assert r.current() == "c1" and r.counter() == "2 / 15" and r.in_view("c1")
    r.page.keyboard.press("j")
    assert r.current() == "c2" and r.counter() == "3 / 15" and r.in_view("c2")
    r.page.keyboard.press("p")
    assert r.current() == "c1" and r.counter() == "2 / 15" and r.in_view("c1")
    r.page.keyboard.press("k")
    assert r.current() == "c0" and r.counter() == "1 / 15"
    assert r.page.evaluate("() => document.activeElement.id") == "c0"
    r.page.keyboard.press("k")  # already at the first change: stays
    assert r.current() == "c0"
    for _ in range(20):
        r.page.keyboard.press("n")
    assert r.current() == "c14" and r.counter() == "15 / 15" and r.in_view("c14")
    assert r.page.is_disabled("#nav-next") and not r.page.is_disabled("#nav-prev")
    r.page.click("#nav-prev")
    assert r.current() == "c13"


def test_keys_are_ignored_while_typing_in_an_input(open_report):
    r = open_report("sample")
    # The report has no text field of its own; add one as an extension or a
    # reader's tool would, and type into it.
    r.page.evaluate("() => { const i = document.createElement('input'); i.id = 'typing';"
                    " document.querySelector('.toolbar').append(i); }")
    r.page.click("#typing")
    r.page.keyboard.type("njnp")
    assert r.page.input_value("#typing") == "njnp"
    assert r.current() is None and r.counter() == "– / 15"
    # A focused checkbox is not typing: keys still navigate.
    r.page.focus("#toggle-formatting")
    r.page.keyboard.press("n")
    assert r.current() == "c0"


def test_navigation_opens_a_collapsed_stretch(open_report):
    r = open_report("sample")
    # The first change inside a collapsed stretch, and how many stops come before it.
    target, index = r.page.evaluate(
        """() => { const stops = [...document.querySelectorAll('[data-nav]')];
                  const i = stops.findIndex(el => el.closest('details.unchanged'));
                  return [stops[i].id, i]; }"""
    )
    assert index > 0
    details = f"document.getElementById('{target}').closest('details')"
    assert r.page.evaluate(f"() => !{details}.open")
    assert not r.page.is_visible(f"#{target}")
    for _ in range(index + 1):
        r.page.keyboard.press("n")
    assert r.current() == target and r.counter() == f"{index + 1} / 15"
    assert r.page.evaluate(f"() => {details}.open")
    assert r.page.is_visible(f"#{target}") and r.in_view(target)


def test_clicking_a_collapsed_stretch_expands_it(open_report):
    r = open_report("move")
    summary = r.page.locator("details.unchanged > summary").first
    hidden_text = r.page.locator("details.unchanged .unchanged-text").first
    assert "unchanged words" in summary.inner_text()
    assert not hidden_text.is_visible()
    summary.click()
    assert hidden_text.is_visible()
    assert r.page.evaluate("() => document.querySelector('details.unchanged').open")
    summary.click()
    assert not hidden_text.is_visible()


def test_formatting_toggle_hides_marks_and_skips_them(open_report):
    r = open_report("sample")
    old_form = "() => getComputedStyle(document.querySelector('#c1 .fmt-old')).display"
    underline = "() => getComputedStyle(document.querySelector('#c1')).borderBottomStyle"
    assert r.page.evaluate(old_form) != "none" and r.page.evaluate(underline) == "dotted"
    r.page.keyboard.press("n")
    r.page.keyboard.press("n")
    assert r.current() == "c1"
    r.page.uncheck("#toggle-formatting")
    assert r.page.inner_text("#formatting-state") == "hidden"
    assert r.page.evaluate(old_form) == "none" and r.page.evaluate(underline) == "none"
    assert r.counter() == "– / 1" and r.current() is None
    r.page.keyboard.press("p")  # back from where we were to the one content change
    assert r.current() == "c0" and r.counter() == "1 / 1"
    r.page.keyboard.press("n")
    assert r.current() == "c0"  # no formatting stops
    r.page.check("#toggle-formatting")
    assert r.counter() == "1 / 15" and r.page.evaluate(old_form) != "none"


def test_move_links_jump_to_their_partner(open_report):
    r = open_report("move")
    assert r.page.inner_text("#c0-from .move-link") == "moved ↓"
    assert r.page.inner_text("#c0-to .move-link").startswith("moved from ↑")
    # (The hash changes first; the page's hashchange handler, which makes
    # the partner current, runs after it: waited for, not raced.)
    partner_current = "id => location.hash === '#' + id && document.querySelector('.current')?.id === id"
    r.page.click("#c0-from .move-link")
    r.page.wait_for_function(partner_current, arg="c0-to")
    assert r.current() == "c0-to" and r.in_view("c0-to")
    r.page.click("#c0-to .move-link")
    r.page.wait_for_function(partner_current, arg="c0-from")
    assert r.current() == "c0-from" and r.in_view("c0-from")
    # The edit inside the moved passage is marked.
    assert r.page.inner_text("#c0-to del.edit") == "heated" and r.page.inner_text("#c0-to ins.edit") == "bitter"


def test_document_content_is_shown_literally_and_never_runs(open_report):
    r = open_report("hostile")
    r.page.wait_for_load_state("load")
    text = r.page.inner_text("#doc")
    assert "<script>alert(1)</script>" in text and "&amp;" in text and "<img src=x onerror=alert(2)>" in text
    assert "<script>alert(3)</script>" in r.page.inner_text("header")
    assert r.page.locator("#doc script, #doc img, header script").count() == 0
    assert r.page.locator("a[href^='javascript']").count() == 0
    assert r.dialogs == [] and r.errors == []


def test_bidi_controls_and_zero_width_characters_show_as_inert_visible_marks(open_report):
    r = open_report("bidi")
    r.page.wait_for_load_state("load")
    text = r.page.inner_text("#doc")
    # shown in logical order with each control named, never applied
    assert "U+202ELIVEU+202C" in text.replace(" ", "") and "duU+200Be" in text.replace(" ", "")
    assert "<script>alert(5)</script>" in text and r.dialogs == [] and r.errors == []
    marks = r.page.locator("#doc .cf")
    assert marks.count() == 3 and marks.first.get_attribute("title") == "U+202E RIGHT-TO-LEFT OVERRIDE"
    # the marks are content changes (an inserted control is never hidden as formatting)
    assert r.page.locator("#doc [data-class=content] .cf").count() == 3
    assert "U+2067" in r.page.inner_text("header")
    # on screen "LIVE" reads left to right: its "L" is left of its "E" (an override would swap them)
    left_of = r.page.evaluate("""() => {
        const walker = document.createTreeWalker(document.getElementById('doc'), NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
            const i = node.data.indexOf('LIVE');
            if (i < 0) continue;
            const box = k => { const r = document.createRange(); r.setStart(node, i + k); r.setEnd(node, i + k + 1);
                               return r.getBoundingClientRect().left; };
            return box(0) < box(3);
        }
        return null; }""")
    assert left_of is True


def test_screenshot_of_the_sample_report(open_report, tmp_path):
    r = open_report("sample")
    path = tmp_path / "sample-report.png"
    r.page.screenshot(path=str(path), full_page=True)
    r.page.keyboard.press("n")
    r.page.screenshot(path=str(tmp_path / "sample-report-first-change.png"))
    assert path.stat().st_size > 20_000
    # The page is laid out: the toolbar is fixed at the top, the text is in a column.
    box = r.page.locator("#doc").bounding_box()
    assert box and 600 < box["width"] <= 1280
    assert r.page.evaluate("() => getComputedStyle(document.querySelector('.toolbar')).position") == "fixed"


def test_find_chromium_looks_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    assert find_chromium() is None  # not CI: the browser tests skip with INSTALL_HINT
    assert "apt-get install chromium" in INSTALL_HINT
    exe = tmp_path / "chromium-browser"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    assert find_chromium() == str(exe)
    monkeypatch.setenv("CI", "true")
    assert find_chromium() == str(exe)  # found: nothing to install
    assert os.access(exe, os.X_OK)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A report site of a store with two documents, one of five versions."""
    import os

    from provenance.site import write_site
    from provenance.store import Store
    from provenance.ingest import ingest_paths

    os.environ.setdefault("PROVENANCE_USER", "Test Archivist <archivist@example.org>")
    tmp = tmp_path_factory.mktemp("site")
    files = []
    base = (SAMPLES / "article-web-capture.txt").read_text(encoding="utf-8")
    for n, edit in enumerate(["", "Jerusalem|Haifa", "Russian|Soviet", "", "talks|meetings"]):
        text = base
        if edit:
            old, new = edit.split("|")
            text = text.replace(old, new)
        f = tmp / f"v{n}.txt"
        f.write_text(text if n != 3 else text.replace("Israeli", "Israeli\u2019s"), encoding="utf-8")
        files.append(str(f))
    from datetime import datetime, timedelta, timezone

    with Store.open(tmp / "store", create=True) as store:
        for k, path in enumerate(files):
            ingest_paths(store, "al-monitor/article", [path],
                         captured_at=datetime(2019, 2, 4, tzinfo=timezone.utc) + timedelta(days=k * k))
        ingest_paths(store, "acme/terms", [str(SAMPLES / "article.pdf")])
        write_site(store, tmp / "out")
    return tmp / "out"


def test_site_index_filters_and_the_timeline_has_a_point_per_version(browser, site):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((site / "index.html").as_uri())
    assert page.locator("#documents tbody tr").count() == 2
    page.fill("#filter", "acme")
    assert page.locator("#documents tbody tr:not([hidden])").count() == 1 and page.inner_text("#shown") == "1"
    page.fill("#filter", "")
    page.click("text=al-monitor/article")
    assert page.locator("#timeline circle.point").count() == 5
    assert sorted(int(x) for x in page.eval_on_selector_all("#timeline circle.point", "ps => ps.map(p => p.dataset.version)")) == [1, 2, 3, 4, 5]
    # the picker opens the chosen pair's diff report
    page.select_option("#picker select[name=a]", "2")
    page.select_option("#picker select[name=b]", "5")
    page.click("#picker button")
    page.wait_for_load_state("load")
    assert page.url.endswith("/diff/2-5.html")
    assert "v2 → v5" in page.inner_text("h1") and errors == []
    # the site's diff pages switch to the side-by-side view too
    page.click("#view-side-by-side")
    assert page.locator("#sbs").is_visible() and not page.locator("#doc").is_visible()
    assert page.locator("#sbs td.sbs-old del[data-change]").count() >= 1  # Jerusalem, Russian...
    assert page.locator("#sbs td.sbs-new ins[data-change]").count() >= 1 and errors == []
    page.close()


# Side by side ------------------------------------------------------------------


def _marked_changes(page, view: str) -> dict[str, dict[str, str]]:
    """Change number -> {"old": text marked on the old side, "new": ...} as the page shows it."""
    return page.evaluate("""view => {
        const out = {};
        const add = (n, side, text) => { out[n] = out[n] || {old: '', new: ''}; out[n][side] += text; };
        const text = el => { const c = el.cloneNode(true); c.querySelectorAll('.move-link, .move-note, .fmt-old').forEach(x => x.remove());
                             return c.textContent.replace(/\\s+/g, ''); };
        if (view === 'inline') {
            document.querySelectorAll('#doc .chg[id]').forEach(el => {
                const n = /^c(\\d+)/.exec(el.id)[1];
                const kind = el.getAttribute('data-kind'), cls = el.getAttribute('data-class');
                if (cls === 'formatting') {
                    add(n, 'old', el.querySelector('.fmt-old').textContent.replace(/[\\s↵¶]+/g, ''));
                    add(n, 'new', el.querySelector('.fmt-new').textContent.replace(/\\s+/g, ''));
                } else if (kind === 'replace') {
                    add(n, 'old', text(el.querySelector('del'))); add(n, 'new', text(el.querySelector('ins')));
                } else if (kind === 'move') {
                    if (el.id.endsWith('-from')) { add(n, 'old', text(el)); }
                    else { const c = el.cloneNode(true); c.querySelectorAll('del.edit').forEach(x => x.remove()); add(n, 'new', text(c)); }
                } else { add(n, el.tagName === 'DEL' ? 'old' : 'new', text(el)); }
            });
        } else {
            document.querySelectorAll('#sbs [data-change]').forEach(el => {
                add(el.getAttribute('data-change'), el.closest('td').classList.contains('sbs-old') ? 'old' : 'new', text(el));
            });
        }
        return out; }""", view)


def test_side_by_side_marks_the_same_changes_as_the_inline_view(open_report, tmp_path):
    for name in ("sample", "move", "bidi"):
        r = open_report(name)
        inline = _marked_changes(r.page, "inline")
        r.page.click("#view-side-by-side")
        side = _marked_changes(r.page, "side-by-side")
        assert inline and side == inline, name
        r.page.screenshot(path=str(tmp_path / f"{name}-side-by-side.png"), full_page=True)
        assert r.errors == [] and r.dialogs == []


def test_side_by_side_aligns_the_paragraphs(open_report, tmp_path):
    r = open_report("move")
    r.page.click("#view-side-by-side")
    r.page.click("#expand-all")  # the folded rows too
    rows = r.page.evaluate("""() => Array.from(document.querySelectorAll('#sbs tr.sbs-row')).map(tr => {
        const cell = td => { const p = td.querySelector('p'); return p ? {top: Math.round(p.getBoundingClientRect().top),
                              text: td.innerText.trim(), left: Math.round(td.getBoundingClientRect().left)} : null; };
        return {old: cell(tr.cells[0]), new: cell(tr.cells[1])}; })""")
    # the moved sentence: first on the left, alone; last on the right, alone
    assert rows[0]["new"] is None and rows[0]["old"]["text"].startswith("moved")
    assert rows[-1]["old"] is None and "bitter" in rows[-1]["new"]["text"]
    both = [row for row in rows if row["old"] and row["new"]]
    assert len(both) == 9  # the eight filler paragraphs and "The end.", each beside itself
    for row in both:
        assert row["old"]["top"] == row["new"]["top"]  # side by side on one line
        assert row["old"]["text"] == row["new"]["text"] and row["old"]["left"] < row["new"]["left"]
    tops = [row[side]["top"] for row in rows for side in ("old", "new") if row[side]]
    assert tops == sorted(tops)  # rows in reading order down the page
    r.page.screenshot(path=str(tmp_path / "move-side-by-side.png"), full_page=True)


def test_the_view_control_and_key_switch_views_and_keep_the_current_change(open_report):
    r = open_report("sample")
    visible = lambda sel: r.page.evaluate(f"() => getComputedStyle(document.querySelector('{sel}')).display !== 'none'")  # noqa: E731
    assert visible("#inline") and not visible("#side-by-side")
    assert r.page.get_attribute("#view-inline", "aria-pressed") == "true"
    r.page.keyboard.press("n")
    assert r.current() == "c0"
    r.page.click("#view-side-by-side")
    assert visible("#side-by-side") and not visible("#inline")
    assert r.page.get_attribute("#view-side-by-side", "aria-pressed") == "true"
    assert r.current() == "s0-old" and r.counter() == "1 / 15"  # the same change, in this view
    # both halves of the replacement are marked
    assert r.page.evaluate("() => Array.from(document.querySelectorAll('#sbs .linked')).map(e => e.id)") == ["s0-old", "s0-new"]
    r.page.keyboard.press("n")
    assert r.current() == "s1-old" and r.counter() == "2 / 15"
    assert r.in_view("s1-old")  # navigation opened the fold it was in
    r.page.keyboard.press("v")
    assert visible("#inline") and r.current() == "c1" and r.counter() == "2 / 15"
    assert r.errors == []


def test_a_move_links_its_two_halves_side_by_side(open_report):
    r = open_report("move")
    r.page.click("#view-side-by-side")
    r.page.hover("#s0-to")
    assert r.page.evaluate("() => document.getElementById('s0-from').classList.contains('linked')")
    r.page.click("#s0-to a.move-link")
    r.page.wait_for_function("() => location.hash === '#s0-from'")
    assert r.current() == "s0-from" and r.in_view("s0-from")
    # a link to a half in the other view opens that view
    r.page.goto(r.url + "#s0-to")
    r.page.wait_for_function("() => document.body.getAttribute('data-view') === 'side-by-side'")
    assert r.errors == []


def test_bidi_controls_stay_inert_marks_side_by_side(open_report):
    r = open_report("bidi")
    r.page.click("#view-side-by-side")
    assert r.page.locator("#sbs td .cf").count() == 3 and r.page.locator("#sbs th .cf").count() == 2  # the label's too
    new_side = r.page.inner_text("#sbs td.sbs-new").replace(" ", "")
    assert "U+202ELIVEU+202C" in new_side and "<script>alert(5)</script>" in new_side and r.dialogs == []


def test_print_style_applies_to_both_views(open_report, tmp_path):
    r = open_report("sample")
    r.page.emulate_media(media="print")
    style = lambda sel, prop: r.page.evaluate(  # noqa: E731
        f"() => getComputedStyle(document.querySelector('{sel}')).getPropertyValue('{prop}')")
    assert style(".toolbar", "display") == "none" and style(".doc", "border-top-width") == "0px"
    r.page.pdf(path=str(tmp_path / "inline.pdf"))
    r.page.evaluate("() => document.getElementById('view-side-by-side').click()")
    assert style(".toolbar", "display") == "none"
    assert style("#sbs thead", "display") == "table-header-group"  # column heads on every page
    assert style("#sbs th", "position") == "static" and style("#sbs tr", "break-inside") == "avoid"
    assert float(style("#sbs", "font-size").removesuffix("px")) == pytest.approx(10 * 96 / 72, abs=0.01)  # 10pt
    r.page.pdf(path=str(tmp_path / "side-by-side.pdf"))
    assert (tmp_path / "side-by-side.pdf").stat().st_size > 10_000
    r.page.emulate_media(media="screen")
    assert style(".toolbar", "display") != "none" and style("#sbs th", "position") == "sticky"
