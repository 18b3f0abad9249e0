"""User strings (column names, file names, block names) shown as they are,
but never acted on: by a terminal (escape sequences that recolour it or set
its title, NUL, line breaks) or by a browser's bidirectional algorithm (an
override such as U+202E, which displays what follows reversed)."""

import unicodedata

# control, format (bidirectional controls among them), line and paragraph
# separators, surrogates, private use and unassigned: shown as escapes.
# Spaces of any width (U+00A0, U+2009, ...) and letters of any script stay.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def visible(text, keep=""):
    """``text`` with every character of the categories above, except those
    in ``keep``, written as its Python escape (``\\x1b``, ``\\u202e``)."""
    return "".join(
        c
        if c in keep or unicodedata.category(c) not in _HIDDEN
        else c.encode("unicode_escape").decode("ascii")
        for c in str(text)
    )
