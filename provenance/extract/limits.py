"""The input size limit: the largest file, standard input or URL response read.

Owns the default and PROVENANCE_MAX_BYTES.  Never: reads or fetches anything
(ingest.read_input and capture.fetch apply the limit).  Its own module so a
diff of two files does not load the URL capture code to learn it.
"""

from __future__ import annotations

import os

from ..errors import ProvenanceError

# PROVENANCE_MAX_BYTES or --max-bytes changes it: a document is held whole in
# memory, with its text and their comparison beside it.
DEFAULT_MAX_BYTES = 100 * 1024 * 1024


def max_bytes_default() -> int:
    value = os.environ.get("PROVENANCE_MAX_BYTES")
    if not value:
        return DEFAULT_MAX_BYTES
    try:
        return int(value)
    except ValueError:
        raise ProvenanceError(f"PROVENANCE_MAX_BYTES must be a number of bytes, not {value!r}") from None
