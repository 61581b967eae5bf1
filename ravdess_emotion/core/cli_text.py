"""Docstrings as ``--help`` text: the scripts' help is their module docstring, without its markup."""

from __future__ import annotations

import re

_ROLE = re.compile(r":(?:func|class|meth|data|mod|attr):`~?([^`]+)`")


def plain_text(docstring: str) -> str:
    """``docstring`` with reStructuredText markup removed: ````x```` and ``:func:`x``` become ``x``."""
    return _ROLE.sub(r"\1", docstring).replace("``", "").replace("::\n", ":\n")
