"""The errors every stage can raise about its input, defined once at the bottom so any stage can catch them."""

from __future__ import annotations


class MediaError(RuntimeError):
    """A media file that cannot be decoded; the message names the file and the reason."""
