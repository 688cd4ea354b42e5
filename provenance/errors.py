"""The one exception type users see: the CLI prints its message on one line
and exits with status 2."""


class ProvenanceError(Exception):
    """Bad input or an unusable store; the message is meant for the user."""
