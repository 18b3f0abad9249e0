"""Text for people: user strings (column names, file names, block names)
shown as they are, but never acted on, by a terminal (escape sequences that
recolour it or set its title, NUL, line breaks) or by a browser's
bidirectional algorithm (an override such as U+202E, which displays what
follows reversed); and spans of time, rounded as a person says them."""

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


def duration(seconds):
    """A span of time as a person reads it, rounded: ``"about 40 s"``,
    ``"about 3 min"``, ``"about 2 h 10 min"``, ``"about 3 days"``."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    minutes = seconds / 60
    if minutes < 90:
        return f"about {round(minutes)} min"
    hours = minutes / 60
    if hours < 48:
        whole = int(hours)
        rest = round((minutes - 60 * whole) / 10) * 10
        if rest == 60:
            whole, rest = whole + 1, 0
        return f"about {whole} h" + (f" {rest} min" if rest else "")
    return f"about {round(hours / 24)} days"
