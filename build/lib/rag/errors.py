"""One family for the errors the system reports to people: their messages are written to be shown."""

from __future__ import annotations


class RagError(Exception):
    """A failure the user can act on (a damaged or foreign index, an unreadable file, a bad gold file,
    a language-model server that is down); ``str()`` is the message to show, in one line."""
