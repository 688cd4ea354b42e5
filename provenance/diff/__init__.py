"""Word-level, formatting-aware comparison of two texts.

The result is one data structure, `Comparison`, that the text, JSON and HTML
renderers all consume (model.py, which imports nothing of the engine), so
what is detected and what is shown cannot disagree:

    Comparison
      old, new   Side: identity of each text (label, document, version,
                 hashes, capture time, source) and the text itself
      segments   Segment items in reading order.  Walking them and joining
                 each segment's old span rebuilds the old text exactly, and
                 joining the new spans rebuilds the new text.
      changes    Change items: every difference, no equal runs.  A segment
                 that is part of a change points to it by index; a move has
                 two segments (where it left, where it arrived) and one change.
                 Both read as lists (index, slice, iterate, len, == a list)
                 but are kept as columns (model.Segments, model.Changes), each
                 item made when it is read: a heavily edited text has
                 hundreds of thousands of them.
      stats      counts derived from changes

Offsets are character offsets (code points) into the decoded texts, so
`change.old_text == old.text[change.old_start:change.old_end]`.

How a comparison is made (`compare`, pipeline.py, in this order):
1. tokenise both texts (tokens.py): literal tokens for display, keys for
   matching; join words broken by line-break hyphenation.  Long texts first
   go through a sentence-level pass (chunks.py): runs of sentences
   that are unchanged but for whitespace stand in as one token each, grown
   over the words that changed sentences share with their counterparts
   (all but a few words either side of each edit), and only the rest is
   tokenised; a sample skips the pass when most sentences changed;
2. diff the key sequences (myers.py), each token encoded as one character, with
   diff-match-patch (compiled when available) with no time limit: the
   default 1 s limit silently turns a long document into one deletion and
   one insertion;
3. make hunks readable (regions.py): a lone short word between two edits joins them;
4. pair (moves.py) deleted and inserted passages that are the same text as moves;
5. build segments and changes (build.py): inside equal runs, tokens whose keys match but whose literal text or
   paragraph/spacing structure differs become `formatting` changes;
   differences in whitespace alone are nothing.
"""

from __future__ import annotations

from .._lazy import lazy_names

from .model import CONTENT, FORMATTING, Change, Comparison, Segment, Side, gc_paused

__all__ = ["compare", "word_change_counts", "diff_strings", "Side", "Change", "Segment", "Comparison",
           "CONTENT", "FORMATTING", "gc_paused"]

# The engine is imported when first used, so that a renderer (which needs
# only the model) does not load it.
_ENGINE_NAMES = {"compare": "pipeline", "word_change_counts": "pipeline", "diff_strings": "myers"}

__getattr__ = lazy_names(__name__, _ENGINE_NAMES, globals())
