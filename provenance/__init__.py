"""provenance: a git-backed store of document versions and a word-level,
formatting-aware diff.  The CLI (provenance.cli) is a thin layer over the
modules here; every command is usable from Python."""

__version__ = "0.1.0"
