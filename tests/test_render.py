"""Renderers (provenance/render/): JSON contract, text word diff, HTML report.

Fast tests, no browser: tests/test_browser.py drives the HTML in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.render import json as render_module
from provenance.diff import Change, Side, compare
from provenance.render import render_html, render_json, render_text

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "docs" / "samples"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def sample():
    old = (SAMPLES / "article-pdf-extract.txt").read_text(encoding="utf-8")
    new = (SAMPLES / "article-web-capture.txt").read_text(encoding="utf-8")
    return compare(old, new)


def words(prefix: str, n: int, per_line: int = 0) -> str:
    """w0 w1 ... as one line, or `per_line` words per line."""
    ws = [f"{prefix}{i}" for i in range(n)]
    if not per_line:
        return " ".join(ws)
    return "\n".join(" ".join(ws[i:i + per_line]) for i in range(0, n, per_line))


MOVED = "The committee approved the budget after a long and heated debate on Tuesday."  # 13 words
FILLER = " ".join(
    f"Filler sentence number {i} talks about the harbour, the council and the weather." for i in range(6)
)


def move_pair(edit: bool = True) -> tuple[str, str]:
    """A 12+-word sentence moves from the start to the end (optionally with one word changed)."""
    old = MOVED + "\n\n" + FILLER + "\n\nClosing remarks were brief."
    arrived = MOVED.replace("heated", "bitter") if edit else MOVED
    new = FILLER + "\n\nClosing remarks were brief.\n\n" + arrived
    return old, new


# --------------------------------------------------------------------------
# JSON


def check_contract(cmp) -> dict:
    out = render_json(cmp)
    assert out.endswith("}\n")
    data = json.loads(out)
    # indented, one change per line, keys in the documented order
    assert out.startswith('{\n  "old": {\n')
    lines = out.splitlines()
    first = lines.index('  "changes": [' if data["changes"] else '  "changes": []')
    assert lines[first + 1:-2 if data["changes"] else -1] == [
        "    " + json.dumps(c, ensure_ascii=False) + ("," if k < len(data["changes"]) - 1 else "")
        for k, c in enumerate(data["changes"])]
    assert data == cmp.to_dict()
    old, new = cmp.old.text, cmp.new.text
    assert set(data) == {"old", "new", "options", "stats", "changes"}
    assert data["old"]["chars"] == len(old) and data["new"]["chars"] == len(new)
    for c in data["changes"]:
        assert c["kind"] in {"insert", "delete", "replace", "move"}
        assert c["class"] in {"content", "formatting"}
        assert c["old_text"] == old[c["old_start"]:c["old_end"]]
        assert c["new_text"] == new[c["new_start"]:c["new_end"]]
        if c["class"] == "formatting":
            assert c["kind"] == "replace"
        if c["kind"] == "move":
            for e in c["edits"]:
                assert e["old_text"] == old[e["old_start"]:e["old_end"]]
                assert e["new_text"] == new[e["new_start"]:e["new_end"]]
                assert c["old_start"] <= e["old_start"] <= e["old_end"] <= c["old_end"]
                assert c["new_start"] <= e["new_start"] <= e["new_end"] <= c["new_end"]
        else:
            assert "edits" not in c
    stats, changes = data["stats"], data["changes"]
    assert stats["changes"] == len(changes)
    assert stats["content_changes"] == sum(c["class"] == "content" for c in changes)
    assert stats["formatting_changes"] == sum(c["class"] == "formatting" for c in changes)
    assert stats["moves"] == sum(c["kind"] == "move" for c in changes)
    return data


def test_json_contract_on_the_sample(sample):
    data = check_contract(sample)
    assert data["stats"]["content_changes"] == 1
    assert data["stats"]["formatting_changes"] == 14
    assert data["stats"]["words_inserted"] == 1 and data["stats"]["words_deleted"] == 9
    content = [c for c in data["changes"] if c["class"] == "content"]
    assert content[0]["kind"] == "replace" and content[0]["new_text"] == "banner"
    # ensure_ascii=False: curly quotes are in the output as themselves.
    assert "Russia’s" in render_json(sample)


def test_json_contract_on_a_move_and_edits():
    data = check_contract(compare(*move_pair()))
    (move,) = [c for c in data["changes"] if c["kind"] == "move"]
    assert [(e["kind"], e["old_text"], e["new_text"]) for e in move["edits"]] == [("replace", "heated", "bitter")]
    data = check_contract(compare("alpha beta gamma delta", "alpha BETA gamma epsilon delta zeta"))
    assert {c["kind"] for c in data["changes"]} == {"replace", "insert"}


def test_json_carries_side_identity():
    side = Side("x y", label="v1", document="doc/1", version=3, content_sha256="a" * 64, source="https://e.org/")
    data = json.loads(render_json(compare(side, "x z")))
    assert data["old"]["label"] == "v1" and data["old"]["version"] == 3 and data["old"]["document"] == "doc/1"
    assert data["new"]["label"] == ""


# --------------------------------------------------------------------------
# Text


def test_text_on_the_sample(sample):
    out = render_text(sample)
    assert "\x1b" not in out
    assert len(re.findall(r"\[-TEHRAN, MOSCOW DIFFER ON SYRIA, BUT SHARE INTERESTS ELSEWHERE-\]\{\+banner\+\}", out)) == 1
    assert out.count("[-") == 1 and out.count("{+") == 1  # exactly one content marker
    assert out.count("{~") == 14 and out.count("~}") == 14
    assert "{~Russia's~>Russia’s~}" in out
    assert "{~intra-↵Palestinian~>intra-Palestinian~}" in out  # a line-break hyphen, made visible
    lines = out.splitlines()
    assert lines[0].startswith("--- old  text-sha256:" + hashlib.sha256(sample.old.text.encode()).hexdigest()[:8])
    assert lines[1].startswith("+++ new  text-sha256:" + hashlib.sha256(sample.new.text.encode()).hexdigest()[:8])
    assert lines[2] == "1 content change (1 replace), 14 formatting changes; +1 -9 words"
    assert lines[3] == "@@ old line 1, new line 1 @@"
    # The hunk around "Netanyahu tweeted" starts on old line 15 and new line 7.
    assert "@@ old line 15, new line 7 @@" in lines
    # Context is the new text with PDF line breaks read as spaces.
    assert "MOSCOW — On Jan. 28, {~Russia's~>Russia’s~} special envoy for Syria Alexander Lavrentiev and Deputy" in lines


def test_text_header_names_the_versions():
    old = Side("a b c", label="v1", version=1, content_sha256="0123456789" + "0" * 54, captured_at="2024-05-01T10:00:00+00:00")
    new = Side("a c", label="v2", version=2, content_sha256="abcdef0123" + "0" * 54)
    lines = render_text(compare(old, new)).splitlines()
    assert lines[0] == "--- v1  v1  sha256:01234567  2024-05-01T10:00:00+00:00"
    assert lines[1] == "+++ v2  v2  sha256:abcdef01"
    assert lines[2] == "1 content change (1 delete), 0 formatting changes; +0 -1 words"


def test_text_colour_only_when_asked(sample):
    plain = render_text(sample)
    coloured = render_text(sample, color=True)
    assert "\x1b" not in plain
    for code in ("\x1b[31m", "\x1b[32m", "\x1b[2m", "\x1b[36m"):  # red, green, dim, cyan
        assert code in coloured
    assert ANSI.sub("", coloured) == plain  # colour adds codes, never changes the text
    moved = render_text(compare(*move_pair()), color=True)
    assert "\x1b[36m[-moved to line" in moved


def test_text_context_is_whole_words_of_the_new_text():
    old = words("w", 60, per_line=10)
    new = words("w", 60, per_line=7).replace("w30", "CHANGED")
    out = render_text(compare(old, new), context=3)
    body = out.split("\n")[3:]
    # w30 is on old line 4 (10 words a line); the hunk starts 3 words earlier,
    # at w27 (old line 3, new line 4 with 7 words a line).
    assert body[0] == "@@ old line 3, new line 4 @@"
    assert body[1] == "w27 w28 w29 [-w30-]{+CHANGED+} w31 w32 w33"
    assert render_text(compare(old, new), context=0).split("\n")[4] == "[-w30-]{+CHANGED+}"


def test_text_hunks_join_when_their_context_overlaps():
    base = words("w", 80)
    near = base.replace("w30", "A").replace("w35", "B")  # 4 words apart
    out = render_text(compare(base, near), context=3)
    assert out.count("@@ old line") == 1
    assert "w27 w28 w29 [-w30-]{+A+} w31 w32 w33 w34 [-w35-]{+B+} w36 w37 w38\n" in out
    far = base.replace("w10", "A").replace("w60", "B")  # 49 words apart: two hunks
    out = render_text(compare(base, far), context=3)
    hunks = out.split("@@ old line")[1:]
    assert len(hunks) == 2
    assert hunks[0].endswith("@@\nw7 w8 w9 [-w10-]{+A+} w11 w12 w13\n")
    assert hunks[1].endswith("@@\nw57 w58 w59 [-w60-]{+B+} w61 w62 w63\n")


def test_text_line_numbers_after_a_long_unchanged_stretch():
    old = words("w", 3000, per_line=12)
    new = old.replace("w2999", "LAST").replace("w5 ", "FIRST ")
    out = render_text(compare(old, new), context=2)
    headers = re.findall(r"@@ old line (\d+), new line (\d+) @@", out)
    # w2997 (2 words before w2999) is on line 2997 // 12 + 1 = 250 in both texts.
    assert headers == [("1", "1"), ("250", "250")]
    assert out.rstrip().endswith("w2997 w2998 [-w2999-]{+LAST+}")


def test_text_deletions_do_not_glue_to_their_neighbours():
    cases = {
        ("a b c", "a c"): "a [-b-] c",
        ("Gone now. Rest of it", "Rest of it"): "[-Gone now.-] Rest of it",
        ("x\n\nb c", "x\n\nc"): "x\n[-b-] c",
        ("a\n\nGone para.\n\nc d", "a\n\nc d"): "a\n[-Gone para.-]\nc d",
        ("one two three", "one three four"): "one [-two-] three {+four+}",
    }
    for (old, new), expected in cases.items():
        assert render_text(compare(old, new), context=3).split("@@\n", 1)[1] == expected + "\n", (old, new)


def test_text_without_formatting(sample):
    out = render_text(sample, show_formatting=False)
    assert "{~" not in out and "~}" not in out
    assert out.count("@@ old line") == 1  # formatting-only places are not hunks
    assert "[-TEHRAN, MOSCOW DIFFER ON SYRIA, BUT SHARE INTERESTS ELSEWHERE-]{+banner+}\nMOSCOW — On Jan. 28, Russia’s special" in out
    assert out.splitlines()[2] == "1 content change (1 replace), 14 formatting changes; +1 -9 words"
    only_formatting = compare('He said "yes" today.', "He said “yes” today.")
    out = render_text(only_formatting, show_formatting=False)
    assert "@@" not in out and "no content differences (1 formatting change not shown)" in out


def test_text_identical_texts():
    out = render_text(compare("Same text.\nTwo lines.", "Same text.\nTwo lines."))
    lines = out.splitlines()
    assert len(lines) == 3 and lines[2] == "no differences"
    assert lines[0].startswith("--- old") and lines[1].startswith("+++ new")
    # Re-wrapping alone is not a difference either.
    assert render_text(compare("Same text. Two lines.", "Same text.\nTwo   lines.")).endswith("no differences\n")


def test_text_moves():
    out = render_text(compare(*move_pair()), context=4)
    assert "1 content change (1 move), 0 formatting changes; +0 -0 words, 13 moved" in out
    assert "[-moved to line 5: The committee approved the budget after a long…-]\nFiller sentence number" in out
    assert "{+moved from line 1: The committee approved the budget after a long and [-heated-]{+bitter+} debate on Tuesday.+}" in out


# --------------------------------------------------------------------------
# HTML


class Views(HTMLParser):
    """The text of the report's <article> as the old and the new version read it.

    New: everything but deletions, old forms of formatting changes, summaries
    and move links.  Old: everything but insertions (a whole move arrival too),
    new forms of formatting changes, summaries and move links.
    """

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "col"}

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.inside = False
        self.new: list[str] = []
        self.old: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article":
            self.inside = True
        if tag not in self.VOID:
            self.stack.append((tag, a.get("class") or ""))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1][0] == tag, (tag, self.stack[-3:])
        self.stack.pop()
        if tag == "article":
            self.inside = False

    def handle_data(self, data):
        if not self.inside:
            return
        classes = [set(c.split()) | {t} for t, c in self.stack]
        hidden = lambda names: any(names & c for c in classes)  # noqa: E731
        if not hidden({"summary", "move-link", "del", "fmt-old"}):
            self.new.append(data)
        if not hidden({"summary", "move-link", "ins", "fmt-new"}):
            self.old.append(data)


def squeeze(text: str) -> str:
    return re.sub(r"[\s↵¶]+", "", text)


def check_lossless(cmp, **kw) -> Views:
    page = render_html(cmp, **kw)
    views = Views(page)
    assert squeeze("".join(views.new)) == squeeze(cmp.new.text)
    assert squeeze("".join(views.old)) == squeeze(cmp.old.text)
    return views


def inline_view(page: str) -> str:
    """The inline view's part of a report (the page holds the side-by-side view too)."""
    return page[:page.index('<section class="view view-side-by-side"')]


def test_html_sample_marks_every_change(sample):
    page = render_html(sample)
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page and '<meta charset="utf-8">' in page
    assert re.search(r"<title>[^<]+</title>", page)
    page = inline_view(page)
    assert page.count('data-class="content"') == 1
    assert page.count('data-class="formatting"') == 14
    assert page.count(" data-nav") == 15
    for i in range(15):
        assert page.count(f'id="c{i}"') == 1
    assert '<span class="chg replace" id="c0" data-class="content" data-kind="replace"' in page
    assert "<del>TEHRAN, MOSCOW DIFFER ON SYRIA, BUT SHARE INTERESTS ELSEWHERE</del><ins>banner</ins>" in page
    assert 'title="formatting: was “Russia&#39;s”"' in page
    assert '<s class="fmt-old">intra-↵Palestinian</s><span class="fmt-new">intra-Palestinian</span>' in page
    assert 'id="toggle-formatting"' in page and "– / 15" in page


def test_html_is_self_contained(sample):
    page = render_html(sample)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r"\ssrc=", page)
    assert "@import" not in page and "url(" not in page
    assert "http://" not in page and "https://" not in page  # no source given: no link at all
    assert "@media print" in page


def test_html_content_security_policy_allows_exactly_the_inline_css_and_js(sample):
    page = render_html(sample)
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)

    def digest(text):
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert f"script-src {digest(script)};" in csp
    assert f"style-src {digest(style)};" in csp
    assert "default-src 'none'" in csp
    assert page.count("<script") == 1 and page.count("<style") == 1


def test_html_loses_no_text(sample):
    views = check_lossless(sample)
    # Paragraph breaks survive: the new text's blank-line breaks, no others.
    new_view = "".join(views.new)
    assert len(re.findall(r"\n\s*\n", new_view.strip())) == len(re.findall(r"\n\s*\n", sample.new.text.strip()))
    check_lossless(compare(*move_pair()), context=5)
    check_lossless(compare(words("w", 300, per_line=9), words("w", 300, per_line=11).replace("w150", "x")), context=0)
    check_lossless(compare("a b c d e f", "f e d c b a"))
    check_lossless(compare("Gone now. Rest of it\n\nmore", "Rest of it\n\nmore and new"), context=1)
    # A stretch that ends in a formatting change and trailing whitespace.
    check_lossless(compare("x one two three four five six a文\n\n字\n \n", "x one two three four five six a文字\n \n"),
                   context=0)


TOKENS = "the a cat dog sat on mat “quoted” \"quoted\" don't don’t intra- Palestinian govern- ment , . ; — -- … 中 文 Über 42".split()
SEPARATORS = [" ", " ", " ", "\n", "\n\n", "  ", "\n \n", ""]
piece = st.tuples(st.sampled_from(TOKENS), st.sampled_from(SEPARATORS)).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_change_is_shown_once_and_no_text_is_lost(data):
    old = data.draw(st.lists(piece, max_size=50))
    new = list(old)
    for op, i, j, token in data.draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 99), st.integers(0, 99), piece),
                                              max_size=6)):
        if not new:
            new.append(token)
        elif op == 0:
            del new[i % len(new)]
        elif op == 1:
            new.insert(i % (len(new) + 1), token)
        elif op == 2:
            new[i % len(new)] = token
        else:  # move a run
            a, b = sorted((i % len(new), j % len(new)))
            run = new[a:b]
            del new[a:b]
            at = (i * 7 + j) % (len(new) + 1)
            new[at:at] = run
    cmp = compare("".join(old), "".join(new))
    for context in (0, 2, 40):
        check_lossless(cmp, context=context)
        text = render_text(cmp, context=context)
        formatting = sum(c.cls == "formatting" for c in cmp.changes)
        edits = [e for c in cmp.changes if c.kind == "move" for e in c.edits]
        content = [c for c in cmp.changes if c.cls == "content"]
        deletions = sum(1 for c in content if c.kind == "move" or c.old_text) + sum(1 for e in edits if e.old_text)
        insertions = sum(1 for c in content if c.kind == "move" or c.new_text) + sum(1 for e in edits if e.new_text)
        assert (text.count("{~"), text.count("[-"), text.count("{+")) == (formatting, deletions, insertions)


def test_html_escapes_everything_from_the_documents():
    old = Side("Intro <script>alert(1)</script> and &amp; more text here.", label="<img src=x onerror=alert(2)>",
               source="javascript:alert(3)", document='doc "quoted"')
    new = Side("Intro <script>alert(1)</script> and &amp; more <b>text</b> here.", label="v2",
               source="https://example.org/a?b=1&c=<2>")
    page = render_html(compare(old, new), title="<i>title</i>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&amp;amp;" in page
    assert page.count("<script") == 1  # ours
    assert "<img" not in page and "<b>text" not in page and "<i>title" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;i&gt;title&lt;/i&gt;" in page
    # Source: a link only for http(s), and escaped inside the attribute.
    assert 'href="javascript' not in page and "javascript:alert(3)" in page
    assert 'href="https://example.org/a?b=1&amp;c=&lt;2&gt;"' in page
    check_lossless(compare(old, new))


def test_html_collapses_long_unchanged_stretches():
    old = words("w", 200)
    new = old.replace("w100", "CHANGED")
    page = render_html(compare(old, new), context=10)
    assert page.count('<details class="unchanged"') == 2
    # Before the change: w0..w99, 10 words kept at each end; after: w101..w199.
    assert "… 80 unchanged words …" in page and "… 79 unchanged words …" in page
    body = page[page.index("<article"):page.index("</article>")]
    assert re.fullmatch(
        r'<article class="doc" id="doc">w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 <details class="unchanged"[^>]*>.*?</details>'
        r' w90 w91 w92 w93 w94 w95 w96 w97 w98 w99 <span class="chg replace" id="c0"[^>]*><del>w100</del><ins>CHANGED</ins></span>'
        r' w101 w102 w103 w104 w105 w106 w107 w108 w109 w110 <details class="unchanged"[^>]*>.*?</details>'
        r' w190 w191 w192 w193 w194 w195 w196 w197 w198 w199',
        body,
    )
    # The hidden words are in the page, inside the <details>.
    hidden = re.search(r'<span class="unchanged-text">(.*?)</span></details>', page).group(1)
    assert hidden == " ".join(f"w{i}" for i in range(10, 90))
    check_lossless(compare(old, new), context=10)
    # Short stretches stay as they are.
    assert "<details" not in render_html(compare(words("w", 30), words("w", 30).replace("w15", "x")), context=10)


def test_html_collapse_counts_formatting_changes_inside(sample):
    page = inline_view(render_html(sample))
    (summary,) = re.findall(r"<summary[^>]*>(.*?)</summary>", page)
    assert "unchanged words" in summary and "formatting changes" in summary
    n = int(re.search(r"([\d,]+) formatting changes", summary).group(1))
    inside = re.search(r'<details class="unchanged".*?</details>', page, re.S).group(0)
    assert inside.count('data-class="formatting"') == n > 0


def test_html_move_has_linked_anchors():
    page = inline_view(render_html(compare(*move_pair()), context=5))
    assert '<del class="chg move move-from" id="c0-from"' in page
    assert '<ins class="chg move move-to" id="c0-to"' in page
    assert '<a class="move-link" href="#c0-to"' in page and ">moved ↓</a>" in page
    assert '<a class="move-link" href="#c0-from"' in page and ">moved from ↑" in page
    # The edit inside the moved passage is marked in the arrival.
    assert '<del class="edit">heated</del><ins class="edit">bitter</ins>' in page
    assert page.count(" data-nav") == 1  # one change, one navigation stop
    # A passage moved up: the links point the other way.
    old, new = move_pair(edit=False)
    page = render_html(compare(new, old), context=5)
    assert ">moved ↑</a>" in page and ">moved from ↓" in page


def test_html_says_when_nothing_changed():
    page = render_html(compare('He said "yes" and left.', "He said “yes” and left."))
    assert "No content changes." in page and 'class="verdict verdict-none"' in page
    page = render_html(compare("Same words.", "Same   words."))
    assert "No differences." in page and "– / 0" in page
    assert "No content changes" not in render_html(compare("a b", "a c"))


def test_html_header_shows_identity_and_counts():
    old = Side("one two three fourteen", label="v1", document="report-42", version=1, content_sha256="ab" * 32,
               text_sha256=hashlib.sha256(b"one two three fourteen").hexdigest(), captured_at="2024-05-01T10:00:00+00:00",
               source="/tmp/report.pdf")
    new = Side("one two five fourteen six", label="v2", document="report-42", version=2, content_sha256="cd" * 32,
               text_sha256="ef" * 32, source="https://example.org/report")
    page = render_html(compare(old, new, ignore_case=True))
    assert "report-42: v1 → v2" in page
    assert "ab" * 32 in page and "cd" * 32 in page
    assert '<dd class="source">/tmp/report.pdf</dd>' in page  # not a link
    assert 'href="https://example.org/report"' in page
    assert "2024-05-01T10:00:00+00:00" in page
    assert "case ignored" in page
    # v2 claims a text hash its text does not have: the page says so.
    assert page.count('class="warning"') == 1
    assert re.search(r'data-kind-count="replace">1 replacement<', page)
    assert re.search(r'data-kind-count="insert">1 insertion<', page)


def test_html_markup_is_per_change_not_per_word():
    paragraph = " ".join(f"word{i}" for i in range(150)) + "."
    old = "\n\n".join(paragraph for _ in range(400))  # ~60,000 words, ~0.5 MB
    new = old.replace("word75.", "word75, CHANGED.", 1).replace("word3 ", "word3 inserted ", 1)
    cmp = compare(old, new)
    page = render_html(cmp)
    body = page[page.index("<article"):page.index("</article>")]
    assert body.count("<") < 40
    # The side-by-side view: markup per paragraph (a <p> a side, a row each), not per word.
    sbs = page[page.index('<table class="sbs"'):]
    assert sbs.count("<") < 200 + 400 * 12
    # The text is in the page three times: inline (new), side by side (old and new).
    assert len(page.encode()) < 3 * len(new.encode()) + 40_000 + 400 * 150


def test_templates_load_outside_the_checkout(tmp_path):
    """The installed package (or the checkout on PYTHONPATH) finds its templates from any directory."""
    script = (
        "from provenance.diff import compare; from provenance.render import render_html;"
        "print(render_html(compare('a b', 'a c'))[:15])"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")


def test_render_text_imports_no_jinja():
    script = (
        "import sys; from provenance.diff import compare; from provenance.render import render_text;"
        "render_text(compare('a b', 'a c')); print('jinja2' in sys.modules)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_html_changes_only_leaves_out_folded_text():
    """Above the size limit (or with full=False) a report grows with the
    changes, not with the document."""
    from provenance.diff import compare
    from provenance.render import render_html

    filler = " ".join(f"word{n}" for n in range(3000))
    old = f"Start here. {filler} The old ending."
    new = f"Start there. {filler} The new ending."
    cmp = compare(old, new)
    full = render_html(cmp, context=10, full=True)
    short = render_html(cmp, context=10, full=False)
    assert "word1500" in full and "word1500" not in short
    assert "not included in this report" in short and "--full" in short
    assert "not included in this report" not in full
    assert len(short) < len(full) - len(filler) // 2
    # without the text, the default context is shorter, and said once
    default = render_html(cmp, full=False)
    assert "each change is shown with 12 words of context" in default
    assert default.count("not included in this report") == 1
    assert "text left out of this report" in default and "click to expand" not in default
    assert "click to expand" in full
    for html in (full, short):  # the changes are there either way
        assert ">there<" in html and ">new<" in html


def test_html_changes_only_size_follows_the_changes_not_the_document():
    from provenance.diff import compare
    from provenance.render import render_html

    def pair(words: int, edits: int) -> tuple[str, str]:
        old = [f"w{n}" for n in range(words)]
        new = list(old)
        for k in range(edits):
            new[(k + 1) * words // (edits + 1)] = f"CHANGED{k}"
        return " ".join(old), " ".join(new)

    short = {(n, e): len(render_html(compare(*pair(n, e)), full=False)) for n in (2000, 8000) for e in (5, 50)}
    # four times the document, the same changes: about the same page
    assert short[(8000, 5)] < 1.1 * short[(2000, 5)]
    # ten times the changes: a page that grows with them
    growth = (short[(8000, 50)] - short[(8000, 5)]) / 45  # bytes per change
    assert 200 < growth < 1500
    # while the full page grows with the document
    big, small = pair(8000, 5), pair(2000, 5)
    grew = len(render_html(compare(*big), full=True)) - len(render_html(compare(*small), full=True))
    assert grew > 0.9 * (len(big[1]) - len(small[1]))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["replace", "insert", "delete"]), st.sampled_from(["content", "formatting"]),
       st.text(), st.text(), st.lists(st.integers(0, 10**12), min_size=4, max_size=4))
def test_change_json_is_the_json_encoders_output(kind, cls, old_text, new_text, offsets):
    """render_json writes each change's line itself; it must be what json's
    encoder makes of Change.to_dict(): quotes, backslashes, control
    characters, non-ASCII and lone surrogates included."""
    change = Change(kind, cls, *offsets, old_text, new_text)
    expected = json.JSONEncoder(ensure_ascii=False).encode(change.to_dict())
    assert render_module._change_json(change) == expected
    move = Change("move", cls, *offsets, old_text, new_text, edits=[change])
    assert render_module._change_json(move) == json.JSONEncoder(ensure_ascii=False).encode(move.to_dict())



@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40),
       st.lists(st.tuples(st.sampled_from(["replace", "insert", "delete", "move"]),
                          st.sampled_from(["content", "formatting"]), st.data()), max_size=8),
       st.one_of(st.none(), st.lists(st.integers(0, 40), max_size=4).map(sorted)),
       st.one_of(st.none(), st.lists(st.integers(0, 40), max_size=4).map(sorted)))
def test_change_lines_read_off_the_columns_are_those_of_the_changes(old, new, specs, old_feeds, new_feeds):
    """The changes of a comparison kept as columns (model.Changes) are
    written straight from them: each line is _change_json of the change
    the columns make (_paged_change_json where a side is paged), a move
    (kept as its object) included."""
    from provenance.diff.model import Changes

    changes = Changes(old, new)
    for kind, cls, data in specs:
        a0 = data.draw(st.integers(0, len(old)))
        a1 = data.draw(st.integers(a0, len(old)))
        b0 = data.draw(st.integers(0, len(new)))
        b1 = data.draw(st.integers(b0, len(new)))
        if kind == "move":
            edit = Change("replace", "content", a0, a1, b0, b1, old[a0:a1], new[b0:b1])
            changes.add_object(Change("move", cls, a0, a1, b0, b1, old[a0:a1], new[b0:b1], 1, 1, edits=[edit]))
        else:
            changes.add(kind, cls, a0, a1, b0, b1)
    paged = (old_feeds, new_feeds) != (None, None)
    got = list(render_module._columns_json(changes, (old_feeds, new_feeds) if paged else None))
    assert changes.made is None  # (read off the columns: no change object made)
    if paged:
        assert got == [render_module._paged_change_json(c, (old_feeds, new_feeds)) for c in changes]
    else:
        assert got == [render_module._change_json(c) for c in changes]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["replace", "move"]), st.text(), st.lists(st.integers(0, 10**6), min_size=4, max_size=4),
       st.one_of(st.none(), st.lists(st.integers(0, 10**6), max_size=5).map(sorted)),
       st.one_of(st.none(), st.lists(st.integers(0, 10**6), max_size=5).map(sorted)))
def test_paged_change_json_is_the_encoders_output_with_the_pages(kind, text, offsets, old_feeds, new_feeds):
    """A paged comparison's change lines: json's encoding of the change's
    dict and its pages (Comparison.pages_of), old page before new."""
    from provenance.furniture import page_of

    change = Change(kind, "content", *offsets, text, text[::-1])
    pages = {f"{side}_page": page_of(feeds, offset) for side, feeds, offset in
             (("old", old_feeds, change.old_start), ("new", new_feeds, change.new_start)) if feeds is not None}
    expected = json.JSONEncoder(ensure_ascii=False).encode({**change.to_dict(), **pages})
    assert render_module._paged_change_json(change, (old_feeds, new_feeds)) == expected

def _json_whole(cmp) -> str:
    """The JSON document as render_json made it before it was streamed:
    the head dumped whole, then every change's line, joined at once."""
    head = json.dumps(cmp.to_dict(changes=False), ensure_ascii=False, indent=2)[:-2]
    if not cmp.changes:
        return head + ',\n  "changes": []\n}\n'
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines = [encode({**c.to_dict(), **cmp.pages_of(c)}) for c in cmp.changes]
    return head + ',\n  "changes": [\n    ' + ",\n    ".join(lines) + "\n  ]\n}\n"


@pytest.mark.parametrize("paged", [False, True], ids=["plain", "paged"])
def test_streamed_json_is_the_whole_document_byte_for_byte(tmp_path, monkeypatch, paged):
    """iter_json's pieces (a few changes each here, so that there are many)
    join to what the whole document was, and `provenance diff --format
    json`, which writes them as they come, prints and saves the same bytes."""
    monkeypatch.setattr(render_module, "_CHANGES_PER_PIECE", 3)
    words = [f"w{k}" for k in range(400)]
    old = " ".join(words) + "."
    edited = [w.upper() if k % 13 == 0 else ("\u201cq\u201d" if k % 17 == 0 else w) for k, w in enumerate(words)]
    new = " ".join(edited) + ". Added at the end, with a quote: \"\\ \u2028."
    if paged:
        old, new = old.replace("w200 ", "w200\n\n\f7\n\n"), new.replace("w100 ", "w100\n\f3\n")
    cmp = compare(old, new)
    assert len(cmp.changes) > 10 and (cmp.page("new", 0) is not None) == paged
    pieces = list(render_module.iter_json(cmp))
    assert len(pieces) > 5
    assert "".join(pieces) == render_json(cmp) == _json_whole(cmp)
    a, b = tmp_path / "old.txt", tmp_path / "new.txt"
    a.write_text(old, encoding="utf-8")
    b.write_text(new, encoding="utf-8")
    cmd = [sys.executable, "-m", "provenance.cli", "diff", str(a), str(b), "--format", "json"]
    printed = subprocess.run(cmd, capture_output=True, check=True).stdout
    saved = tmp_path / "out.json"
    subprocess.run([*cmd, "-o", str(saved)], capture_output=True, check=True)
    from provenance.ingest import side_for_file

    expected = _json_whole(compare(side_for_file(str(a)), side_for_file(str(b)))).encode("utf-8")
    assert printed == expected and saved.read_bytes() == expected
