"""Invisible format characters: shown for what they are, compared as content (issue #13)."""

import unicodedata

import pytest

from provenance import visible
from provenance.diff import compare

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def test_the_table_is_category_cf_without_the_soft_hyphen():
    expected = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"} - {"\u00ad"}
    found = {chr(c) for c in range(0x110000) if visible.FORMAT_RE.fullmatch(chr(c))}
    assert found == expected


@pytest.mark.parametrize("ch", BIDI + ZERO_WIDTH + ["\U000e0041"])
def test_text_escape_names_the_code_point(ch):
    out = visible.escape_text(f"a{ch}b")
    assert out == f"a<U+{ord(ch):04X}>b"
    assert not visible.has_format(out)


def test_soft_hyphen_and_ordinary_text_are_left_alone():
    for text in ["plain ascii", "caf\u00e9 \u00adsoft", "\u05e9\u05dc\u05d5\u05dd", ""]:
        assert visible.escape_text(text) == text


def test_html_escape_marks_and_escapes():
    out = visible.escape_html("<b>\u202eLIVE</b>")
    assert out == ('&lt;b&gt;<span class="cf" title="U+202E RIGHT-TO-LEFT OVERRIDE">U+202E</span>'
                   'LIVE&lt;/b&gt;')
    assert "\u202e" not in out


@pytest.mark.parametrize("ch", BIDI + ZERO_WIDTH)
@pytest.mark.parametrize("where", ["inside", "between", "alone"])
def test_adding_an_invisible_character_is_a_content_change(ch, where):
    old = "the quick brown fox"
    new = {"inside": f"the qui{ch}ck brown fox", "between": f"the quick{ch} brown fox",
           "alone": f"the quick {ch} brown fox"}[where]
    for a, b in ((old, new), (new, old)):
        cmp = compare(a, b)
        assert cmp.content_differs, (where, hex(ord(ch)))
        assert all(c.cls == "content" for c in cmp.changes)


def test_soft_hyphen_stays_formatting():
    cmp = compare("a government here", "a govern\u00adment here")
    assert not cmp.content_differs
    assert [c.cls for c in cmp.changes] == ["formatting"]


def test_invisible_change_in_a_long_text_is_found():
    """Past the sentence pass (long inputs are compared sentence by sentence first)."""
    base = " ".join(f"Sentence number {i} says something plain." for i in range(20000))
    i = base.index("number 12345")
    new = base[:i] + "num\u200bber" + base[i + 6:]
    cmp = compare(base, new)
    assert cmp.content_differs
    assert [c.new_text for c in cmp.changes] == ["num\u200bber"]
