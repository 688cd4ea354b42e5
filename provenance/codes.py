"""Token codes: a comparison's literals and keys as one character each,
over a vocabulary both texts share (equal characters, equal strings), which
is what the word diff and the steps after it read; and the Coder that gives
them as each text is cut, so no list of them is ever held.

Owns: the encodings (encode_keys, encode_with, map_codes), code places
(code_index, code_point), word flags per code, the Coder and encode_sides.
Never: cuts text into tokens or decides keys (tokens.py does).
Compiled twins (provenance/_speedups.c), each chosen next to its Python
version: encode_keys_vocab, encode_with, map_codes, flag_prefix,
flag_count, code_flags.
"""

from __future__ import annotations

from array import array
from functools import partial
from itertools import accumulate, chain, compress
from typing import TYPE_CHECKING

from . import tokens as tk

if TYPE_CHECKING:
    from .tokens import Keyer, Tokens


_CODE_POINTS = (range(1, 0xD800), range(0xE000, 0x110000))  # all but NUL and surrogates


def encode_keys(a_keys: "list[str] | str", b_keys: "list[str] | str") -> tuple[str, str]:
    """Both key lists as strings of one character per key, the same
    character for the same key (skipping NUL and surrogates), in order of
    first appearance: what the diff runs on.  Keys already encoded (two
    str, as encode_sides leaves them) come back as they are: a diff depends
    only on which keys are equal."""
    if isinstance(a_keys, str) and isinstance(b_keys, str):
        return a_keys, b_keys
    if tk._speedups is not None:
        return tk._speedups.encode_keys_vocab(a_keys, b_keys)[:2]
    return _encode_keys(a_keys, b_keys)


def _encode_keys(a_keys: list[str], b_keys: list[str]) -> tuple[str, str]:
    return _encode_keys_vocab(a_keys, b_keys)[:2]


def _encode_keys_vocab(a_keys: list[str], b_keys: list[str]) -> tuple[str, str, list[str]]:
    """encode_keys, and the distinct keys in the order of their codes."""
    vocab = dict.fromkeys(a_keys)
    vocab.update(dict.fromkeys(b_keys))
    if len(vocab) > 0x10F7FF:  # code points less NUL and surrogates
        raise ValueError("more distinct keys than Unicode has characters")
    table = dict(zip(vocab, map(chr, chain.from_iterable(_CODE_POINTS))))  # in C, no per-key Python
    return "".join(map(table.__getitem__, a_keys)), "".join(map(table.__getitem__, b_keys)), list(vocab)


def code_index(code: int) -> int:
    """Where the key of character code `code` is in an encoding's vocabulary."""
    return code - 1 if code < 0xD800 else code - 0x801


def code_point(index: int) -> str:
    """The code (a character) of place `index` of an encoding's vocabulary."""
    return chr(index + 1 if index < 0xD7FF else index + 0x801)


def encode_with(keys: list[str], vocab: list[str]) -> str:
    """keys as a str of codes of the vocabulary `vocab` (a list of distinct
    str; code_index(ord(code)) is a key's place in it), keys new to it
    appended to it in order of first appearance."""
    if tk._speedups is not None:
        return tk._speedups.encode_with(keys, vocab)
    return _encode_with_py(keys, vocab)


def _encode_with_py(keys: list[str], vocab: list[str]) -> str:
    known = len(vocab)
    table = dict.fromkeys(vocab)
    if len(table) != known:
        raise ValueError("encode_with: the vocabulary holds a key twice")
    table.update(dict.fromkeys(keys))
    if len(table) > 0x10F7FF:  # code points less NUL and surrogates
        raise ValueError("more distinct keys than Unicode has characters")
    vocab.extend(list(table)[known:])
    table = dict(zip(table, map(chr, chain.from_iterable(_CODE_POINTS))))
    return "".join(map(table.__getitem__, keys))


def map_codes(codes: str, table: str) -> str:
    """Each code c of codes replaced by table[code_index(ord(c))]."""
    if tk._speedups is not None:
        return tk._speedups.map_codes(codes, table)
    return _map_codes_py(codes, table)


def _code_places(codes: str, size: int) -> dict[str, int]:
    """code_index of each distinct code of codes, each a place of a table
    of `size` (else ValueError: NUL, a surrogate, or past the end)."""
    places = {c: code_index(ord(c)) for c in set(codes)}
    if places and (min(places.values()) < 0 or max(places.values()) >= size or
                   any(0xD800 <= ord(c) < 0xE000 for c in places)):
        raise ValueError("a code with no place in the table")
    return places


def _map_codes_py(codes: str, table: str) -> str:
    return codes.translate({ord(c): table[k] for c, k in _code_places(codes, len(table)).items()})


def flag_prefix(codes: str, flags: bytes, length: int) -> "array[int]":
    """prefix[i]: how many of codes[:i] have their flag (flags[code_index(
    ord(code))]) set, as an tk.offset_array for a text of `length` characters."""
    if tk._speedups is not None:
        return array(tk.offset_typecode(length), tk._speedups.flag_prefix(codes, flags, tk.offset_width(length)))
    return tk.offset_array(_flag_prefix_py(codes, flags), length)


def _code_flags_py(codes: str, size: int) -> bytes:
    """A byte for each of `size` places of a vocabulary: 1 where codes
    holds its code."""
    if size < 0:
        raise ValueError("code_flags: a size of 0 or more")
    flags = bytearray(size)
    for k in _code_places(codes, size).values():
        flags[k] = 1
    return bytes(flags)


def flag_counter(codes: str, flags: bytes):
    """count(start, end): how many of codes[start:end] have their flag set,
    compiled (_speedups.flag_count, twin _flag_count_py); None without the
    speed-ups, where a word prefix made once costs less than a count per
    range (Tokens.word_counter)."""
    if tk._speedups is None:
        return None
    return partial(tk._speedups.flag_count, codes, flags)


def _flag_count_py(codes: str, flags: bytes, start: int, end: int) -> int:
    """How many of codes[start:end] have their flag set (as flag_prefix
    counts them)."""
    part = codes[max(start, 0):max(end, 0)]
    return _flag_prefix_py(part, flags)[-1]


def _flag_prefix_py(codes: str, flags: bytes) -> list[int]:
    flag = {c: 1 if flags[k] else 0 for c, k in _code_places(codes, len(flags)).items()}
    return list(accumulate(map(flag.__getitem__, codes), initial=0))


class Coder:
    """One comparison's literals and keys as codes (a character each, as
    encode_keys gives them) from the moment each text is cut, for both
    texts alike: the comparison never holds a list of them, 8 bytes a
    token (at 4 MB with 20% edits the four lists were a quarter of the
    peak).  Literal codes index `literals`, key codes `vocab`
    (Tokens.vocab); equal codes, equal strings.  Codes are given in order of
    first appearance, as encode_sides gives them; a diff depends only on
    which are equal."""

    def __init__(self, keyer: Keyer):
        self.keyer = keyer
        self.literals: list[str] = []  # distinct literals, in the order of their codes
        self.vocab: list[str] = []  # distinct keys, in the order of theirs
        self.key_codes = ""  # the key code of each literal code's literal (map_codes' table)
        self.word_flags = bytearray()  # tk.is_word of each literal code's literal

    def learn(self) -> None:
        """Key codes and word flags for the literals new since last time."""
        new = self.literals[len(self.key_codes):]
        if new:
            self.key_codes += encode_with(self.keyer.keys(new), self.vocab)
            self.word_flags += bytes(map(tk.is_word, new))  # (each once: not word_flags' cache, 2 MB)

    def encode(self, toks: Tokens) -> Tokens:
        """toks (with lists) with literals and keys as codes, in place."""
        toks.literals = encode_with(toks.literals, self.literals)
        self.learn()
        return self.keyed(toks)

    def keyed(self, toks: Tokens) -> Tokens:
        """toks, whose literals are codes, with its keys' codes."""
        toks.keys = map_codes(toks.literals, self.key_codes)
        toks.vocab, toks.coder = self.vocab, self
        return toks

    def joined(self, literals: list[str], keys: list[str]) -> tuple[str, str]:
        """The literal and key codes of tokens that line-break joins made
        (a joined literal's key is its halves' keys joined, not its own)."""
        known = len(self.literals)
        key_codes = encode_with(keys, self.vocab)
        literal_codes = encode_with(literals, self.literals)
        new = self.literals[known:]
        if new:
            key_of = dict(zip(literals, key_codes))
            self.key_codes += "".join(map(key_of.__getitem__, new))
            self.word_flags += bytes(map(tk.is_word, new))  # (each once: not word_flags' cache, 2 MB)
        return literal_codes, key_codes

    def distinct_keys(self, codes: str) -> set[str]:
        """The keys of a str of key codes, each once."""
        flags = (tk._speedups.code_flags if tk._speedups is not None else _code_flags_py)(codes, len(self.vocab))
        return set(compress(self.vocab, flags))


def encode_sides(old: Tokens, new: Tokens) -> None:
    """Both sides' keys and literals encoded (encode_keys), in place of the
    lists: a character each (1 to 4 bytes) instead of a list slot (8), and
    the lists go.  The keys' vocabulary is kept for Tokens.key; literals
    are only compared with each other once encoded (a token's text is
    text[starts[i]:ends[i]]).  Word prefixes, counted from the literals,
    are made in between (a stale one, which joins leave, goes first: the
    peak of a comparison with many changes is here).  Sides a Coder
    encoded as they were cut are left as they are, but for their word
    counters (Tokens.word_counter)."""
    for toks in (old, new):
        prefix = toks.__dict__.get("_word_prefix")
        if prefix is not None and len(prefix) != len(toks.literals) + 1:
            del toks.__dict__["_word_prefix"]
    if old.coder is not None and old.coder is new.coder:  # encoded as they were cut
        for toks in (old, new):
            toks.word_counter()
        return
    encode = tk._speedups.encode_keys_vocab if tk._speedups is not None else _encode_keys_vocab
    old.keys, new.keys, old.vocab = encode(old.keys, new.keys)
    new.vocab = old.vocab
    for toks in (old, new):
        toks.word_prefix()
    old.literals, new.literals, _ = encode(old.literals, new.literals)
