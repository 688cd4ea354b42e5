"""The side-by-side view of the HTML report, read back from the page: each
side holds its own text whole, paragraphs in order and aligned, and every
change of the Comparison is marked (the browser behaviour is in test_browser.py)."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from provenance.diff import Side, compare
from provenance.render import render_html
from provenance.render.walk import paragraphs

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "docs" / "samples"
FILLER = "\n\n".join(" ".join(f"Filler {i}.{j} on the harbour and the council." for j in range(4)) for i in range(6))
MOVED = "The committee approved the budget after a long and heated debate on Tuesday."


class Table(HTMLParser):
    """Rows of the side-by-side table: per row, each cell's paragraphs (their
    text), and each change element's side, text, index and class."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "col"}

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.rows: list[dict] = []
        self.changes: list[dict] = []  # {"side", "change", "class", "kind", "text"}
        self.inside = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "sbs":
            self.inside = True
        if not self.inside or tag in self.VOID:
            return
        self.stack.append((tag, a))
        cls = set((a.get("class") or "").split())
        if tag == "tr" and "sbs-row" in cls:
            self.rows.append({"old": [], "new": [], "changed": "changed" in cls})
        if tag == "p" and "data-para" in a:
            self.rows[-1][self.side()].append({"para": int(a["data-para"]), "text": ""})
        if "data-change" in a:
            self.changes.append({"side": self.side(), "change": int(a["data-change"]), "class": a["data-class"],
                                 "kind": a["data-kind"], "id": a.get("id"), "text": ""})

    def side(self) -> str:
        for tag, a in reversed(self.stack):
            if tag == "td":
                return "old" if "sbs-old" in a.get("class", "") else "new"
        raise AssertionError("outside a cell")

    def handle_endtag(self, tag):
        if not self.inside or tag in self.VOID:
            return
        assert self.stack and self.stack[-1][0] == tag, (tag, self.stack[-3:])
        self.stack.pop()
        if tag == "table" and not any(t == "table" for t, _ in self.stack):
            self.inside = False

    def handle_data(self, data):
        if not self.inside or not any(t == "p" for t, _ in self.stack):
            return
        classes = set()
        for _, a in self.stack:
            classes |= set((a.get("class") or "").split())
        if classes & {"move-link", "elided"}:
            return
        if "cf" in classes:  # a visible mark stands for the character it names
            data = chr(int(data[2:], 16))
        self.rows[-1][self.side()][-1]["text"] += data
        for tag, a in reversed(self.stack):
            if "data-change" in a:
                self.changes[-1]["text"] += data
                break


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check(cmp, **kw) -> Table:
    """The invariants every side-by-side view keeps."""
    page = render_html(cmp, **kw)
    table = Table(page)
    for side in ("old", "new"):
        text = getattr(cmp, side).text
        paras = [p for row in table.rows for p in row[side]]
        # every paragraph once, in order, with its text whole
        assert [p["para"] for p in paras] == list(range(1, len(paragraphs(text)) + 1)), side
        assert squeeze("".join(p["text"] for p in paras)) == squeeze(text), side
    # every change is marked, on the side(s) it has text on
    for i, ch in enumerate(cmp.changes):
        for side in ("old", "new"):
            marked = squeeze("".join(c["text"] for c in table.changes if c["change"] == i and c["side"] == side))
            want = ch.old_text if side == "old" else ch.new_text
            assert marked == squeeze(want), (i, side)
            assert all(c["class"] == ch.cls for c in table.changes if c["change"] == i)
    # rows are in order on both sides and no row is empty on both
    for row in table.rows:
        assert row["old"] or row["new"]
    return table


def test_sample_pair_side_by_side():
    old = (SAMPLES / "article-pdf-extract.txt").read_text(encoding="utf-8")
    new = (SAMPLES / "article-web-capture.txt").read_text(encoding="utf-8")
    table = check(compare(old, new))
    first = table.rows[0]
    assert first["old"][0]["text"].startswith("TEHRAN") and first["new"][0]["text"] == "banner"
    assert first["changed"] and not table.rows[1]["changed"]
    kinds = {(c["side"], c["class"]) for c in table.changes}
    assert kinds == {("old", "content"), ("new", "content"), ("old", "formatting"), ("new", "formatting")}


def test_an_inserted_paragraph_gets_a_row_with_an_empty_old_side():
    old = "Alpha paragraph one.\n\nGamma paragraph three."
    new = "Alpha paragraph one.\n\nBeta paragraph two, new.\n\nGamma paragraph three."
    table = check(compare(old, new))
    assert [(len(r["old"]), len(r["new"])) for r in table.rows] == [(1, 1), (0, 1), (1, 1)]
    assert table.rows[1]["new"][0]["text"] == "Beta paragraph two, new."
    # and a deleted one, an empty new side
    table = check(compare(new, old))
    assert [(len(r["old"]), len(r["new"])) for r in table.rows] == [(1, 1), (1, 0), (1, 1)]


def test_edited_paragraphs_stay_beside_their_originals():
    paras = [f"Paragraph {k} says something about topic {k} at some length." for k in range(8)]
    edited = list(paras)
    edited[2] = edited[2].replace("something", "nothing")
    edited[5] = edited[5].replace("length", "great length, indeed")
    table = check(compare("\n\n".join(paras), "\n\n".join(edited)), full=True)
    pairs = [(r["old"][0]["para"], r["new"][0]["para"]) for r in table.rows]
    assert pairs == [(k, k) for k in range(1, 9)]  # nothing folded: 8 rows of one paragraph a side
    assert [r["changed"] for r in table.rows] == [k in (2, 5) for k in range(8)]


def test_a_move_is_marked_on_both_sides_and_its_halves_link():
    old = MOVED + "\n\n" + FILLER
    new = FILLER + "\n\n" + MOVED.replace("heated", "bitter")
    cmp = compare(old, new)
    assert [c.kind for c in cmp.changes] == ["move"]
    page = render_html(cmp)
    table = check(cmp)
    halves = {c["side"]: c for c in table.changes}
    assert halves["old"]["id"] == "s0-from" and halves["new"]["id"] == "s0-to"
    assert '<a class="move-link" href="#s0-to"' in page and '<a class="move-link" href="#s0-from"' in page
    # the edit inside the moved passage shows on each side in that side's words
    assert '<del class="edit">heated</del>' in page and '<ins class="edit">bitter</ins>' in page


def test_random_edits_keep_every_invariant():
    rng = random.Random(7)
    vocab = "the a council harbour budget debate on of approved said river north old new".split()
    for _ in range(40):
        paras = [" ".join(rng.choice(vocab) for _ in range(rng.randint(3, 14))) for _ in range(rng.randint(1, 9))]
        edited = [list(p.split()) for p in paras]
        for _ in range(rng.randint(1, 6)):
            what = rng.random()
            k = rng.randrange(len(edited))
            if what < 0.2 and len(edited) > 1:
                edited.pop(k)
            elif what < 0.4:
                edited.insert(k, [rng.choice(vocab) for _ in range(rng.randint(2, 8))])
            elif what < 0.5 and len(edited[k]) > 3:
                j = rng.randrange(1, len(edited[k]) - 1)
                edited[k:k + 1] = [edited[k][:j], edited[k][j:]]  # a paragraph split
            elif edited[k]:
                edited[k][rng.randrange(len(edited[k]))] = rng.choice(vocab).upper()
        new = "\n\n".join(" ".join(p) for p in edited if p)
        check(compare("\n\n".join(paras), new), full=True)


def test_invisible_characters_stay_visible_marks_on_both_sides():
    cmp = compare(Side("Pay the account LIVE to\u200bday.", label="v1"),
                  Side("Pay the account \u202eLIVE\u202c today, now.", label="v2"))
    page = render_html(cmp, view="side-by-side")
    sbs = page[page.index('<table class="sbs"'):]
    assert "\u202e" not in page and "\u202c" not in page and "\u200b" not in page
    old_cell, new_cell = re.search(r'<td class="sbs-old"[^>]*>(.*?)</td>\s*<td class="sbs-new"[^>]*>(.*?)</td>', sbs, re.S).groups()
    assert '<span class="cf" title="U+200B ZERO WIDTH SPACE">U+200B</span>' in old_cell
    assert '<span class="cf" title="U+202E RIGHT-TO-LEFT OVERRIDE">U+202E</span>' in new_cell
    check(cmp)


def test_the_view_the_page_opens_in():
    cmp = compare("a b c", "a x c")
    assert '<body data-view="inline">' in render_html(cmp)
    page = render_html(cmp, view="side-by-side")
    assert '<body data-view="side-by-side">' in page
    assert 'id="view-side-by-side" data-view="side-by-side" aria-pressed="true"' in page
    with pytest.raises(ValueError):
        render_html(cmp, view="sideways")


def test_a_changes_only_report_leaves_unchanged_paragraphs_out_of_both_views():
    paras = [f"Paragraph {k} " + " ".join(f"w{k}x{j}" for j in range(60)) + "." for k in range(40)]
    edited = list(paras)
    edited[20] = edited[20].replace("w20x30", "CHANGED")
    cmp = compare("\n\n".join(paras), "\n\n".join(edited))
    page = render_html(cmp, full=False, context=5)
    table = Table(page)
    assert len(table.rows) == 1  # the changed row alone; the rest folded and left out
    assert page.count("[not in this report: --full]") >= 2
    assert "w0x10" not in page[page.index('<table class="sbs"'):]
    changed = next(r for r in table.rows if r["changed"])
    assert "CHANGED" in changed["new"][0]["text"] and "unchanged words" in page


def test_paragraphs_break_where_the_display_rules_say():
    """walk.paragraphs (a fast search) cuts exactly where tokens.gap_kind sees
    a paragraph break in a whitespace run."""
    from provenance import tokens as tk

    def reference(text):
        out, pos = [], 0
        for m in re.finditer(r"\s+", text):
            if tk.gap_kind(m.group()) == tk.PARAGRAPH:
                out.append((pos, m.start()))
                pos = m.end()
        out.append((pos, len(text)))
        return [(a + len(text[a:b]) - len(text[a:b].lstrip()), a + len(text[a:b].rstrip()))
                for a, b in out if text[a:b].strip()]

    rng = random.Random(3)
    pieces = ["a", "bc", " ", "\n", "\r", "\r\n", "\t", "\u2029", "\f", "x y", "\u00a0"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert paragraphs(text) == reference(text), repr(text)


def test_a_formatting_change_holding_an_invisible_character_keeps_its_title_whole():
    """A title attribute cannot hold the visible mark's markup: there it is <U+200B>."""
    cmp = compare('He said "\u200byes" today.', "He said “\u200byes” today.")
    assert [c.cls for c in cmp.changes] == ["formatting"]
    page = render_html(cmp)
    titles = re.findall(r'<span class="chg fmt"[^>]*>', page)
    assert len(titles) == 3  # inline, and each side
    for tag in titles:
        assert 'title="formatting: ' in tag and "&lt;U+200B&gt;" in tag and "<span class=\"cf\"" not in tag[1:]
    check(cmp)
