"""Page furniture found from the form-feed page structure (provenance.furniture)."""

import pytest

from provenance.furniture import furniture_spans, page_of


def _paged(bodies, header=None, footer=None):
    pages = []
    for n, body in enumerate(bodies, 1):
        lines = []
        if header:
            lines.append(header(n))
        lines.append(body)
        if footer:
            lines.append(footer(n))
        pages.append("\n".join(lines) + "\n")
    return "\f".join(pages)


WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november".split()
# Bodies differ in their words, as real pages do (digits alone are folded away).
BODIES = [f"Body text: {' '.join(WORDS[n:n + 5])} and more." for n in range(6)]


def _found(text):
    return [text[s:e] for s, e in furniture_spans(text)]


def test_running_header_and_page_of_footer_are_furniture_and_body_is_not():
    text = _paged(BODIES, header=lambda n: "Annual Report 2019", footer=lambda n: f"Page {n} of 6")
    found = _found(text)
    assert found.count("\f") == 5
    # Page 1's top line repeats the running head: there it is the title, content.
    assert found.count("Annual Report 2019") == 5 and furniture_spans(text)[0][0] > 0
    assert [f for f in found if f.startswith("Page")] == [f"Page {n} of 6" for n in range(1, 7)]
    assert not any("Body text" in f for f in found)


def test_alternating_heads_chapter_lines_and_dash_numbers():
    text = _paged(BODIES, header=lambda n: "THE TITLE" if n % 2 else f"Chapter {n // 2 + 1}: Part {n}",
                  footer=lambda n: f"- {n} -")
    found = _found(text)
    assert found.count("THE TITLE") == 2  # pages 3 and 5; on page 1 it is the title
    assert sum(f.startswith("Chapter") for f in found) == 3
    assert [f for f in found if f.startswith("-")] == [f"- {n} -" for n in range(1, 7)]


def test_text_without_pages_has_no_furniture_and_page_numbers_count_form_feeds():
    assert furniture_spans("Page 3 of 12\nA body line\n3\n") == []
    text = _paged(BODIES[:3])
    assert [page_of(text, text.index(b)) for b in BODIES[:3]] == [1, 2, 3]
    assert page_of(text, 0) == 1


def test_paginated_corpus_text_yields_exactly_the_added_furniture():
    from pathlib import Path
    corpus = sorted((Path(__file__).resolve().parent.parent / "benchmarks" / "corpus").glob("*.txt"))
    lines = corpus[0].read_text(encoding="utf-8").splitlines()[:400]
    pages, added = [], []
    for n in range(0, len(lines) // 40):
        head = "A HANDBOOK OF TESTS" if n % 2 else f"Chapter {n + 1}: Part the {n}th"
        foot = f"{n + 1}"
        added += [head, foot]
        pages.append("\n".join([head, *lines[n * 40:(n + 1) * 40], foot]) + "\n")
    text = "\f".join(pages)
    found = [f for f in (text[s:e] for s, e in furniture_spans(text)) if f != "\f"]
    assert found == added


def test_a_bare_number_on_a_page_edge_is_a_page_number_only_when_it_counts_with_the_pages():
    bodies = [f"Entry {w}\nmore text {w}\n404" if n == 2 else f"Entry {w}\nmore text {w}" for n, w in enumerate(WORDS[:5])]
    text = _paged(bodies, footer=lambda n: str(n + 10))  # pages numbered from 11
    found = _found(text)
    assert [f for f in found if f.strip("\f")] == [str(n + 10) for n in range(1, 6)]  # "404" is content


def test_a_page_that_spells_out_its_number_has_no_bare_one_and_a_final_form_feed_ends_a_page():
    text = "Title line\nBody words here\n1\nPage 1 of 1\n\f"
    assert _found(text) == ["Page 1 of 1", "\f"]  # the "1" above is content (a list entry, say)
    assert page_of(text, text.index("Body")) == 1


def test_layout_marks_bullets_anywhere_and_contents_leaders_not_dashes_or_numbers():
    from provenance.furniture import layout_marks

    text = "• first item\nsecond • item\n- a dash line\n1. Numbered clause\nMethods ........ 7\nWait... 3 of them\n\f"
    assert [text[s:e] for s, e in layout_marks(text)] == ["•", "•", "........ 7"]
    assert [text[s:e] for s, e in layout_marks(text.rstrip("\f"))] == ["•", "•"]  # leaders: paged texts only


def test_bullets_leaders_and_page_furniture_are_formatting_in_a_comparison():
    from provenance.diff import compare

    old = "Contents\nIntroduction ........ 1\nMethods ........ 2\n\f" + "\f".join(
        f"Report 2024\n• point {w} is made\n{n}\n" for n, w in enumerate(WORDS[:4], 2)) + "\f"
    new = "Contents\nIntroduction\nMethods\n\n" + "\n".join(f"point {w} is made" for w in WORDS[:4]) + "\n"
    cmp = compare(old, new)
    assert cmp.stats["content_changes"] == 0, [c.to_dict() for c in cmp.changes if c.cls == "content"]
    edited = compare(old, new.replace("bravo", "zulu"))
    assert [(c.old_text, c.new_text) for c in edited.changes if c.cls == "content"] == [("bravo", "zulu")]
    assert edited.pages_of([c for c in edited.changes if c.cls == "content"][0]) == {"old_page": 3}


def test_index_page_references_and_table_rules_are_formatting_but_a_lone_date_is_not():
    from provenance.diff import compare
    from provenance.furniture import layout_marks

    pdf = ("Body text here.\n\f" "Index\nLavrov, Sergey, 3, 17-19\nMoscow, 2, 5\nNetanyahu, 4\n\f"
           "| Party | Role |\n| Acme | Seller |\n\f")
    web = "Body text here.\n\nIndex\n\nLavrov, Sergey\nMoscow\nNetanyahu\n\nParty\tRole\nAcme\tSeller\n"
    cmp = compare(pdf, web)
    assert cmp.stats["content_changes"] == 0, [c.to_dict() for c in cmp.changes if c.cls == "content"]
    one = "It was signed in Paris, 2019\nand ratified later.\n\f"
    assert layout_marks(one) == []  # a single line ending in ", 2019" is prose


def test_a_footnote_set_at_the_page_foot_in_one_edition_and_the_end_in_the_other_is_one_move():
    from provenance.diff import compare

    body = [f"Paragraph {w} of the report discusses the {w} findings at some length and in detail." for w in WORDS[:6]]
    note = "1 The figures for the northern region were revised after the audit in March."
    pdf = "\n\n".join(body[:3]) + "\n\n" + note + "\n\f" + "\n\n".join(body[3:]) + "\n\f"
    web = "\n\n".join(body) + "\n\nNotes\n\n" + note + "\n"
    cmp = compare(pdf, web)
    moves = [c for c in cmp.changes if c.kind == "move"]
    assert len(moves) == 1 and "northern region" in moves[0].old_text and not moves[0].edits
    assert [c.new_text for c in cmp.changes if c.cls == "content" and c.kind != "move"] == ["Notes"]


@pytest.mark.parametrize("join_under", [0.0, 0.25, 2.0])
def test_layout_marks_in_ranges_are_those_of_the_whole_text_inside_them(monkeypatch, join_under):
    """The bullets and rules of some stretches (searched in those alone,
    joined, or in the whole text where they cover more than
    JOIN_RANGES_UNDER of it) are the whole text's that lie inside them, at
    the same offsets."""
    import random

    from provenance import furniture
    from provenance.furniture import layout_marks

    monkeypatch.setattr(furniture, "JOIN_RANGES_UNDER", join_under)

    rng = random.Random(3)
    pieces = ["•", "|", "\u2502", " ", "\n", "a", "bc", "\u2022x", " \u25e6 ", "\f", "\u00a0", "\u2003", "|x|", "\u00a6"]
    marks = furniture._BULLETS + furniture._RULES
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, 2 * rng.randint(0, 4))))
        ranges = [(cuts[k], cuts[k + 1]) for k in range(0, len(cuts) - 1, 2)]
        whole = layout_marks(text)
        # (each mark with whitespace, by str.isspace, or an end of the text either side)
        assert whole == [(i, i + 1) for i, c in enumerate(text) if c in marks and (i == 0 or text[i - 1].isspace())
                         and (i + 1 == len(text) or text[i + 1].isspace())]
        assert layout_marks(text, ranges) == [(s, e) for s, e in whole if any(a <= s and e <= b for a, b in ranges)]


def test_paged_marks_in_ranges_are_those_of_the_whole_text_inside_them():
    """Contents leaders and index references of some stretches of a paged
    text (searched in those stretches' lines and the two either side) are
    the whole text's that lie inside them: an index line in a run of three
    counts although the rest of its run is outside the stretch."""
    import random

    from provenance.furniture import layout_marks

    rng = random.Random(5)
    lines = ["", " ", "Methods ........ 7", "Results . . . . . 12", "Notes \u2026\u2026\u2026 iv", "Lavrov, 3, 17-19",
             "Moscow, 2, 5", "Netanyahu, 4", "Smith, 12 ", "signed in Paris, 2019", "text with words", "a\r", "\f",
             "Index, 2,", "x ....... 9 and more", "Kyiv, 4\t", "Tokyo, \u0663", "Rome, 2\u00b2"]
    found = 0
    for _ in range(400):
        text = "\n".join(rng.choice(lines) for _ in range(rng.randint(1, 14))) + rng.choice(["", "\f", "\n"])
        if "\f" not in text:
            text += "\f"
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, 2 * rng.randint(0, 3))))
        ranges = [(cuts[k], cuts[k + 1]) for k in range(0, len(cuts) - 1, 2)]
        whole = layout_marks(text)
        inside = [(s, e) for s, e in whole if any(a <= s and e <= b for a, b in ranges)]
        assert layout_marks(text, ranges) == inside, (text, ranges)
        found += len(inside)
    assert found > 100  # the texts do hold marks inside the ranges


def test_edge_lines_are_the_first_and_last_non_blank_lines_folded():
    """_edges reads a page's first and last two non-blank lines from either
    end (no split of the page), and _edge_lines folds them all at once:
    the same as splitting each page at its line feeds and folding each
    line (furniture._fold)."""
    import random
    import re

    from provenance import furniture

    rng = random.Random(11)
    pieces = ["", " ", "\t", "\r", "Page 3", "- 12 -", "REPORT 2019", "Stra\u00dfe \u0663", "body text", "\u00a0"]
    for _ in range(300):
        text = "\f".join("\n".join("".join(rng.choice(pieces) for _ in range(rng.randint(0, 3)))
                                   for _ in range(rng.randint(0, 7))) for _ in range(rng.randint(1, 4)))
        page_spans = furniture.pages(text)
        made = furniture._edge_lines(text, page_spans)
        for (s, e), (top, bottom) in zip(page_spans, made):
            lines = [(s + m.start(), s + m.end()) for m in re.finditer(r"[^\n]*", text[s:e]) if m.group().strip()]
            assert [line.span for line in top] == lines[:2]
            assert [line.span for line in bottom] == [span for span in lines[-2:] if span not in lines[:2]]
            assert all(line.folded == furniture._fold(line.text) for line in top + bottom)
