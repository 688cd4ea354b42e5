"""Unicode combining marks (categories Mn, Mc, Me) of the Basic Multilingual
Plane, as a regex class body.

Generated from unicodedata 14.0.0 (Python's re has no \\p{M}):
a word keeps its accents and vowel signs ("cafe\\u0301", Devanagari, Arabic
points) instead of splitting at each mark.  To regenerate:

    cps = [c for c in range(0x110000) if unicodedata.category(chr(c))[0] == "M"]
    # keep those below U+10000, join runs as "\\uXXXX-\\uYYYY"

Only the BMP: one code point above U+FFFF in a class makes Python's re test
every range in turn instead of a bitmap (measured: a scan for marks 60x,
tokenising 1.7x slower).  The marks left out belong to historic and rare scripts (Brahmi,
Grantha, musical notation...); there a mark starts a new token.
"""

MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1-\u05c2\u05c4-\u05c5\u05c7\u0610-\u061a"
    "\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7-\u06e8\u06ea-\u06ed\u0711\u0730-\u074a"
    "\u07a6-\u07b0\u07eb-\u07f3\u07fd\u0816-\u0819\u081b-\u0823\u0825-\u0827\u0829-\u082d"
    "\u0859-\u085b\u0898-\u089f\u08ca-\u08e1\u08e3-\u0903\u093a-\u093c\u093e-\u094f"
    "\u0951-\u0957\u0962-\u0963\u0981-\u0983\u09bc\u09be-\u09c4\u09c7-\u09c8\u09cb-\u09cd\u09d7"
    "\u09e2-\u09e3\u09fe\u0a01-\u0a03\u0a3c\u0a3e-\u0a42\u0a47-\u0a48\u0a4b-\u0a4d\u0a51"
    "\u0a70-\u0a71\u0a75\u0a81-\u0a83\u0abc\u0abe-\u0ac5\u0ac7-\u0ac9\u0acb-\u0acd\u0ae2-\u0ae3"
    "\u0afa-\u0aff\u0b01-\u0b03\u0b3c\u0b3e-\u0b44\u0b47-\u0b48\u0b4b-\u0b4d\u0b55-\u0b57"
    "\u0b62-\u0b63\u0b82\u0bbe-\u0bc2\u0bc6-\u0bc8\u0bca-\u0bcd\u0bd7\u0c00-\u0c04\u0c3c"
    "\u0c3e-\u0c44\u0c46-\u0c48\u0c4a-\u0c4d\u0c55-\u0c56\u0c62-\u0c63\u0c81-\u0c83\u0cbc"
    "\u0cbe-\u0cc4\u0cc6-\u0cc8\u0cca-\u0ccd\u0cd5-\u0cd6\u0ce2-\u0ce3\u0d00-\u0d03"
    "\u0d3b-\u0d3c\u0d3e-\u0d44\u0d46-\u0d48\u0d4a-\u0d4d\u0d57\u0d62-\u0d63\u0d81-\u0d83\u0dca"
    "\u0dcf-\u0dd4\u0dd6\u0dd8-\u0ddf\u0df2-\u0df3\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1"
    "\u0eb4-\u0ebc\u0ec8-\u0ecd\u0f18-\u0f19\u0f35\u0f37\u0f39\u0f3e-\u0f3f\u0f71-\u0f84"
    "\u0f86-\u0f87\u0f8d-\u0f97\u0f99-\u0fbc\u0fc6\u102b-\u103e\u1056-\u1059\u105e-\u1060"
    "\u1062-\u1064\u1067-\u106d\u1071-\u1074\u1082-\u108d\u108f\u109a-\u109d\u135d-\u135f"
    "\u1712-\u1715\u1732-\u1734\u1752-\u1753\u1772-\u1773\u17b4-\u17d3\u17dd\u180b-\u180d\u180f"
    "\u1885-\u1886\u18a9\u1920-\u192b\u1930-\u193b\u1a17-\u1a1b\u1a55-\u1a5e\u1a60-\u1a7c\u1a7f"
    "\u1ab0-\u1ace\u1b00-\u1b04\u1b34-\u1b44\u1b6b-\u1b73\u1b80-\u1b82\u1ba1-\u1bad"
    "\u1be6-\u1bf3\u1c24-\u1c37\u1cd0-\u1cd2\u1cd4-\u1ce8\u1ced\u1cf4\u1cf7-\u1cf9\u1dc0-\u1dff"
    "\u20d0-\u20f0\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u302a-\u302f\u3099-\u309a\ua66f-\ua672"
    "\ua674-\ua67d\ua69e-\ua69f\ua6f0-\ua6f1\ua802\ua806\ua80b\ua823-\ua827\ua82c\ua880-\ua881"
    "\ua8b4-\ua8c5\ua8e0-\ua8f1\ua8ff\ua926-\ua92d\ua947-\ua953\ua980-\ua983\ua9b3-\ua9c0\ua9e5"
    "\uaa29-\uaa36\uaa43\uaa4c-\uaa4d\uaa7b-\uaa7d\uaab0\uaab2-\uaab4\uaab7-\uaab8\uaabe-\uaabf"
    "\uaac1\uaaeb-\uaaef\uaaf5-\uaaf6\uabe3-\uabea\uabec-\uabed\ufb1e\ufe00-\ufe0f\ufe20-\ufe2f"
)


# Characters NFKC leaves as they are and that compose with nothing: past
# ASCII, below U+0900, in U+2000-U+2FFF and the CJK ideographs (U+3400-U+4DBF,
# U+4E00-U+9FFF; not the compatibility ones, which NFKC changes), assigned, not whitespace, of
# combining class 0 and their own NFKC (Latin, Greek, Cyrillic, Hebrew and
# Arabic letters; most punctuation, arrows, symbols and box drawing; not
# "\u2026", "\u2033", the superscripts or the ligatures, which NFKC
# changes).  A chunk of these, ASCII and whitespace is its own NFKC, so its
# loose key (diff.folding._loose) is made without Python's unicodedata
# (compiled: unmatched_loose).  Generated from unicodedata 14.0.0:
#
#     [c for c in [*range(0x80, 0x900), *range(0x2000, 0x3000), *range(0x3400, 0x4dc0), *range(0x4e00, 0xa000)]
#      if unicodedata.category(chr(c)) != "Cn" and not chr(c).isspace()
#      and unicodedata.combining(chr(c)) == 0 and unicodedata.normalize("NFKC", chr(c)) == chr(c)]
#
# (Unicode's normalisation stability: a later version changes none of these.)
NFKC_STABLE = (
    "\u0080-\u0084\u0086-\u009f\u00a1-\u00a7\u00a9\u00ab-\u00ae\u00b0-\u00b1\u00b6-\u00b7"
    "\u00bb\u00bf-\u0131\u0134-\u013e\u0141-\u0148\u014a-\u017e\u0180-\u01c3\u01cd-\u01f0"
    "\u01f4-\u02af\u02b9-\u02d7\u02de-\u02df\u02e5-\u02ff\u034f\u0370-\u0373\u0375-\u0377"
    "\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03cf\u03d7-\u03ef"
    "\u03f3\u03f6-\u03f8\u03fa-\u0482\u0488-\u052f\u0531-\u0556\u0559-\u0586\u0588-\u058a"
    "\u058d-\u058f\u05be\u05c0\u05c3\u05c6\u05d0-\u05ea\u05ef-\u05f4\u0600-\u060f"
    "\u061b-\u064a\u0660-\u066f\u0671-\u0674\u0679-\u06d5\u06dd-\u06de\u06e5-\u06e6\u06e9"
    "\u06ee-\u070d\u070f-\u0710\u0712-\u072f\u074d-\u07b1\u07c0-\u07ea\u07f4-\u07fa"
    "\u07fe-\u0815\u081a\u0824\u0828\u0830-\u083e\u0840-\u0858\u085e\u0860-\u086a"
    "\u0870-\u088e\u0890-\u0891\u08a0-\u08c9\u08e2\u200b-\u2010\u2012-\u2016\u2018-\u2023"
    "\u2027\u202a-\u202e\u2030-\u2032\u2035\u2038-\u203b\u203d\u203f-\u2046\u204a-\u2056"
    "\u2058-\u205e\u2060-\u2064\u2066-\u206f\u20a0-\u20a7\u20a9-\u20c0\u20dd-\u20e0"
    "\u20e2-\u20e4\u2104\u2108\u2114\u2117-\u2118\u211e-\u211f\u2123\u2125\u2127\u2129\u212e"
    "\u2132\u213a\u2141-\u2144\u214a-\u214f\u2180-\u2188\u218a-\u218b\u2190-\u222b\u222e"
    "\u2231-\u2328\u232b-\u2426\u2440-\u244a\u24eb-\u2a0b\u2a0d-\u2a73\u2a77-\u2adb"
    "\u2add-\u2b73\u2b76-\u2b95\u2b97-\u2c7b\u2c7e-\u2cee\u2cf2-\u2cf3\u2cf9-\u2d25\u2d27"
    "\u2d2d\u2d30-\u2d67\u2d70\u2d80-\u2d96\u2da0-\u2da6\u2da8-\u2dae\u2db0-\u2db6"
    "\u2db8-\u2dbe\u2dc0-\u2dc6\u2dc8-\u2dce\u2dd0-\u2dd6\u2dd8-\u2dde\u2e00-\u2e5d"
    "\u2e80-\u2e99\u2e9b-\u2e9e\u2ea0-\u2ef2\u2ff0-\u2ffb"
    "\u3400-\u4dbf\u4e00-\u9fff"
)
