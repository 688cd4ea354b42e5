"""Renderers: a Comparison as JSON, as a word diff for terminals, as an HTML report.

All three read the same `Comparison` (diff/model.py), so what is detected and what
is shown cannot disagree.

    render_json(cmp)   json.py: the JSON contract, Comparison.to_dict()
                       (iter_json(cmp): the same text in pieces, to write as made)
    render_text(cmp)   text.py: hunks like `git diff --word-diff`
    render_html(cmp)   html.py: one self-contained page (templates/report.html.j2)
    walk.py            the reading-order walk and display rules the text and
                       HTML renderers share (below)
    side_by_side.py    the HTML report's side-by-side view: each side's own text
                       marked, paragraphs aligned by walk.align

Display rules shared by the text and HTML renderers
---------------------------------------------------
* Unchanged text is shown as the NEW text.  Whitespace is presentation, as it
  is for the diff itself (tokens.py): a run of whitespace that holds a
  paragraph break (a blank line) is shown as a paragraph break, any other run
  (spaces, a single line break from PDF re-wrapping, tabs) as one space.  So
  re-wrapped text reads as prose and nothing but whitespace is ever dropped.
* Deleted text (a delete, the old half of a replace, a passage that moved
  away) comes from the OLD text.  A deletion has no whitespace of its own in
  the new text, so if the old text has whitespace right before it and the
  output does not already end in whitespace, a space is put before it ("a
  [-b-] c", not "a[-b-] c").  When that old whitespace is a paragraph break
  and the new text has a paragraph break at the same place, the deletion opens
  the paragraph instead of trailing the one before.
* Formatting changes (same words, different quotes, dashes, hyphenation,
  paragraph structure) show the old form with its line breaks made visible:
  a line break as "↵", a paragraph break as "¶".

HTML: long unchanged stretches collapse into <details>.  A stretch is a run of
segments with no content change: equal text and formatting changes.  Keeping
formatting changes inside a stretch means a PDF-versus-web comparison with
hundreds of curly-quote differences still opens on its content changes; the
formatting marks are in the collapsed text, counted in its summary, and the
page's navigation opens a stretch when it steps to a mark inside it.
"""

from __future__ import annotations

from .._lazy import lazy_names

__all__ = ["render_json", "iter_json", "render_text", "render_html"]

# Each renderer is imported when first used: `diff --format json` need not
# load the HTML renderer and its templates (some 10 ms of every start).
_RENDERERS = {"render_json": "json", "iter_json": "json", "render_text": "text", "render_html": "html"}

__getattr__ = lazy_names(__name__, _RENDERERS, globals())
