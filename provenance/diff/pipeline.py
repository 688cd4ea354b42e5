"""compare() and word_change_counts(): the steps of a comparison in order
(tokens, chunk pass, word diff, regions, moves, build) and the word totals.

Owns: the order of the steps and the options they run with.  Never: holds a
step's logic itself; each step lives in its own module.
"""

from __future__ import annotations


from .. import tokens as tk
from .. import codes as cd
from .. import linebreaks as lb
from ..furniture import comparison_marks
from .build import _build
from .chunks import _diff_between_placeholders, _plan_chunks, _sparse_tokens
from .model import Comparison, Segment, Side, gc_paused
from .moves import _Move, _count_words, _find_moves
from .myers import _engine, diff_pieces
from .regions import Regions, _absorb_short_equalities, _align_to_boundaries, _regions



def _as_side(value: str | Side) -> Side:
    return value if isinstance(value, Side) else Side(text=value)


def _word_totals(info) -> dict[str, int]:
    """Words in each text, as tk.count_words counts them.

    `info` is (unchanged, old_tokenised, new_tokenised) from _analyse: the
    words of the unchanged runs (a count, or a _Counting still at it) and
    of each text's tokenised stretches (all of it when there was no chunk
    pass).  Unchanged runs are counted once: their chunks differ only in
    whitespace, which neither joins nor splits words, and every cut is at
    whitespace."""
    unchanged, old_tokenised, new_tokenised = info
    if isinstance(unchanged, _Counting):
        unchanged = unchanged.result()
    return {"old": unchanged + old_tokenised, "new": unchanged + new_tokenised}


def _plan_spans(plan, runs: bool) -> list[tuple[int, int]]:
    """The (start, end) of a chunk plan's unchanged runs (runs=True) or of
    its stretches to tokenise."""
    return [(s, e) for s, e, run in plan if (run is not None) == runs]


# From this length on (characters of the old text) its unchanged runs'
# words are counted in a second thread (11 ms at 4 MB, 3 at 1 MB, against
# some 0.1 ms to start a thread).
COUNT_IN_THREAD_MIN_CHARS = 256 * 1024


class _Counting:
    """The words of a text's unchanged runs (a chunk plan's stretches
    with a run number), counted in a thread; result() waits for it."""

    def __init__(self, text: str, plan, plain: bool):
        import threading

        self._plain = plain
        if not plain:
            tk._script_bitmaps()  # (made here, not in the thread)
        spans = [(s, e) for s, e, run in plan if run is not None]
        self._outcome: list = []
        self._thread = threading.Thread(target=self._count, args=(text, spans), daemon=True)
        self._thread.start()

    def _count(self, text: str, spans) -> None:
        try:
            self._outcome.append((True, tk.count_words_in(text, spans, self._plain)))
        except BaseException as error:  # raised again by result(), in the caller's thread
            self._outcome.append((False, error))

    def result(self) -> int:
        self._thread.join()
        ok, value = self._outcome[0]
        if not ok:
            raise value
        return value


def _tokenised_words(toks: tk.Tokens, plain: bool, joins: int) -> int | None:
    """Words in a token list's tokenised stretches (all of it, unless it is
    a sparse list), as count_words counts them, from the word counter the
    changes use anyway.  For plain text a token is a word exactly when it
    is a match of the word pattern (not so with the full patterns: a Thai
    vowel sign is a token and a match, but not a word token).  Placeholders
    are not words; each of the `joins` line-break joins made two words one.
    None when not plain."""
    return toks.word_counter()(0, len(toks)) + joins if plain else None


def _whole_tokens(text: str, keyer: tk.Keyer, plain: bool, coder: cd.Coder | None = None) -> tk.Tokens:
    """tk.tokenize_recent(text, ...), or for a long text (which it
    would not keep) the compiled tokeniser of the chunk pass over the whole
    text as one stretch: the same tokens, some 3x quicker, with no int
    object per offset on the way (a 16 MB text's made 6 million).  Given a
    Coder, literals and keys come as its codes."""
    if tk._speedups is not None and len(text) > tk._RECENT_MAX_CHARS:
        return _sparse_tokens(text, [(0, len(text), None)], keyer, plain, coder)
    toks = tk.tokenize_recent(text, keyer, plain)
    return toks if coder is None else coder.encode(toks)


# Set by a process that makes one comparison (the CLI's diff): what a
# comparison keeps for the next one (the hyphenation dictionary, the word
# list, the key cache: some 7 MB once a long pair has filled them) is not
# kept (the key cache), or let go of as soon as the line-break joins are
# made (the dictionaries), before the word diff and the build, where the
# peak of a long comparison is.
ONE_COMPARISON = False


def _analyse(old_text: str, new_text: str, strict: bool, ignore_case: bool, detect_moves: bool,
             engine: str | None, totals: bool = True) -> tuple[tk.Tokens, tk.Tokens, Regions, list[_Move], tuple]:
    """Steps 1-4: tokens, aligned regions, moves (all in token indices), and
    what _word_totals needs to count each text's words (None unless `totals`)."""
    engine = engine or _engine()  # once, not in each of thousands of diffs
    keyer = tk.make_keyer(strict=strict, ignore_case=ignore_case, forget=ONE_COMPARISON)
    judge = lb.BreakJudge(old_text, new_text)  # line-end hyphens, decided alike for chunks and tokens
    plan = _plan_chunks(old_text, new_text, engine, judge)
    whole = plan is None
    plans, pinned = ([None, None], ()) if whole else (list(plan[:2]), plan[2])
    del plan
    plains = (tk.is_plain(old_text), tk.is_plain(new_text))
    # Literals and keys as codes from the start, both texts in one table:
    # the four lists of them (8 bytes a token each) were most of the peak.
    coder = cd.Coder(keyer)
    unchanged: int | _Counting = 0
    if not whole and totals:
        if tk._speedups is not None and len(old_text) >= COUNT_IN_THREAD_MIN_CHARS:
            # The unchanged runs' words are counted in a thread (the compiled
            # count lets go of the GIL) while this one goes on.
            unchanged = _Counting(old_text, plans[0], plains[0])
        else:
            unchanged = tk.count_words_in(old_text, _plan_spans(plans[0], True), plains[0])
    sides: list[tk.Tokens] = []
    ranges: list[list[tuple[int, int]]] = []  # each side's tokenised stretches: made once, read thrice
    counts: list[int | None] = []  # words of each text's tokenised stretches, where tokens cannot tell
    for k, text in enumerate((old_text, new_text)):
        if whole:
            toks = _whole_tokens(text, keyer, plains[k], coder)
        else:
            toks = _sparse_tokens(text, plans[k], keyer, plains[k], coder)
        # Page furniture (running heads, page numbers) of paged texts and
        # layout marks (list bullets, contents leaders) leave the token
        # lists: they are formatting, and never matched as words.
        ranges.append(tk._tokenised_ranges(toks))
        furniture = tk.drop_spans(toks, comparison_marks(text, ranges[-1]))
        counts.append(None)
        if totals and (furniture or not plains[k]):
            counts[-1] = tk.count_words(text, plains[k]) if whole else \
                tk.count_words_in(text, _plan_spans(plans[k], False), plains[k])
        plans[k] = None  # a tuple and three ints per stretch: let go of before the word diff
        sides.append(toks)
    old_t, new_t = sides
    if whole:
        judge = None  # its lexicon comes cheaper from the tokens
    if judge is not None:
        judge.know_unchanged_runs(ranges[1])
    joins = lb.join_line_break_hyphens(old_t, new_t, judge, ranges)
    if ONE_COMPARISON:
        lb.let_go_of_dictionaries()
    for toks in sides:
        tk.let_go(toks, "gaps")  # (the last step that reads them joined broken words)
    cd.encode_sides(old_t, new_t)  # (encoded as cut already: their word counters made)
    words = None
    if totals:
        words = (unchanged, *(count if count is not None else _tokenised_words(toks, plain, n)
                              for count, toks, plain, n in zip(counts, sides, plains, joins)))
    del sides
    if whole:
        ops = diff_pieces(old_t.keys, new_t.keys, engine)  # (each piece let go of once read)
    else:
        ops = [_diff_between_placeholders(old_t, new_t, engine, pinned)]
    regions = _regions(ops, tk.offset_typecode(max(len(old_text), len(new_text))))
    del ops  # (the chunk pass's list of runs: let go before the regions are worked on)
    _align_to_boundaries(regions, old_t, new_t)
    regions = regions.without_empty()
    regions = _absorb_short_equalities(regions, old_t, new_t)
    moves = _find_moves(regions, old_t, new_t, engine) if detect_moves else []
    return old_t, new_t, regions, moves, words


def compare(old: str | Side, new: str | Side, *, strict: bool = False, ignore_case: bool = False,
            detect_moves: bool = True, engine: str | None = None) -> Comparison:
    """Compare two texts word by word.  See the module docstring."""
    old_side, new_side = _as_side(old), _as_side(new)
    options = {"strict": strict, "ignore_case": ignore_case, "moves": detect_moves}
    if old_side.text == new_side.text:
        segments = [Segment("equal", 0, len(old_side.text), 0, len(new_side.text))] if old_side.text else []
        return Comparison(old_side, new_side, segments, [], options)
    engine = engine or _engine()
    with gc_paused():
        return _compare(old_side, new_side, options, strict, ignore_case, detect_moves, engine)


def _compare(old_side: Side, new_side: Side, options: dict, strict: bool, ignore_case: bool, detect_moves: bool,
             engine: str) -> Comparison:
    old_t, new_t, regions, moves, words = _analyse(old_side.text, new_side.text, strict, ignore_case, detect_moves, engine)
    for move in moves:  # (the build compares a moved passage's keys, and no others)
        move.keys = (old_t.keys[move.a0:move.a1], new_t.keys[move.b0:move.b1])
    for toks in (old_t, new_t):
        tk.let_go(toks, "keys", "placeholders")
    builder = _build(regions, moves, old_t, new_t, engine)
    comparison = Comparison(old_side, new_side, builder.segments, builder.changes, options)
    comparison.__dict__["_words"] = _word_totals(words)
    return comparison


def word_change_counts(old_text: str, new_text: str) -> tuple[int, int]:
    """(words added, words removed) in content changes, moves excluded: the
    figures ingest prints and records.  The same as compare(...).stats'
    words_inserted and words_deleted, without building the comparison
    (bulk ingest computes this for every version)."""
    if old_text == new_text:
        return 0, 0
    with gc_paused():
        old_t, new_t, regions, moves, _ = _analyse(old_text, new_text, False, False, True, None, totals=False)
    inserted = sum(_count_words(new_t, r[3], r[4]) for r in regions if not r[0])
    deleted = sum(_count_words(old_t, r[1], r[2]) for r in regions if not r[0])
    for move in moves:
        inserted -= _count_words(new_t, move.b0, move.b1)
        deleted -= _count_words(old_t, move.a0, move.a1)
    return inserted, deleted
