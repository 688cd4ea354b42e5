"""Invisible format characters made visible in reports.

Owns the list of characters a report must never write raw (Unicode
category Cf, except the soft hyphen U+00AD, which is ordinary formatting):
bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069), the
directional marks (U+200E/200F, U+061C), zero-width spaces and joiners,
word joiners, BOMs, tag characters.  Raw, they let a document's text
display as something else ("Trojan Source": U+202E then "LIVE" reads
"EVIL").  It gives the escaped forms for text output (``<U+202E>``) and for
HTML (a visible mark with the code point and name on hover).

It must never decide what counts as a change (tokens.py does) and never
drop a character: every escaped form names the code point it stands for.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Category Cf of unicodedata 14.0.0 without U+00AD, as a regex class body
# (tests/test_visible.py checks it against the running Python's unicodedata).
# Astral code points in a class of their own: one above U+FFFF in a class
# with the BMP ranges makes re test every range in turn instead of a bitmap.
FORMAT_BMP = (
    "\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
FORMAT_ASTRAL = (
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)

FORMAT_RE = re.compile(f"[{FORMAT_BMP}]|[{FORMAT_ASTRAL}]")

# Names of the ones unicodedata does not name (none in 14.0, kept as a fallback).
_FALLBACK_NAME = "FORMAT CHARACTER"


def has_format(text: str) -> bool:
    """True when text holds a character this module escapes."""
    return not text.isascii() and FORMAT_RE.search(text) is not None


@functools.lru_cache(maxsize=512)
def describe(ch: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE'."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, _FALLBACK_NAME)}"


def escape_text(text: str) -> str:
    """Text output: each format character as ``<U+XXXX>``."""
    if not has_format(text):
        return text
    return FORMAT_RE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def escape_html(text: str, escape=None) -> str:
    """HTML: `text` escaped (markupsafe.escape unless `escape` is given), each
    format character replaced by a visible, inert mark that names it:
    ``<span class="cf" title="U+202E RIGHT-TO-LEFT OVERRIDE">U+202E</span>``.

    The mark holds the code point as plain ASCII text, so it cannot change
    the direction of what surrounds it; the page wraps document text in
    isolating elements besides (unicode-bidi: isolate), so the text cannot
    reorder the page either way."""
    if escape is None:
        from markupsafe import escape
    if not has_format(text):
        return str(escape(text))
    out: list[str] = []
    last = 0
    for m in FORMAT_RE.finditer(text):
        out.append(str(escape(text[last:m.start()])))
        ch = m.group()
        out.append(f'<span class="cf" title="{describe(ch)}">U+{ord(ch):04X}</span>')
        last = m.end()
    out.append(str(escape(text[last:])))
    return "".join(out)
