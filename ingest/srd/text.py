"""Text normalisation for the SRD 5.1 PDF's odd characters.

The PDF separates words with ``\\t\\r \\xa0`` runs, writes hyphens as a hyphen followed by a
soft hyphen and U+2010/U+2011, minus signs as U+2212, one table's ranges with figure dashes
(U+2012) and apostrophes as U+2019. Everything
the parsers store goes through :func:`clean`, so records hold plain, searchable text.
"""

from __future__ import annotations

import re

__all__ = ["clean", "join_lines", "to_int", "squash"]

_WS = re.compile(r"[\t\r\n\xa0\u2028 ]+")
_HYPHEN_RUN = re.compile(r"-?\xad?[\u2010\u2011]+|-\xad")
_TRANSLATE = str.maketrans(
    {
        "\u2212": "-",  # minus sign
        "\u2012": "\u2013",  # figure dash (only the Iron Flask table uses it) -> the en dash of every other range
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb00": "ff",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\xad": "",
    }
)


def squash(text: str) -> str:
    """Collapse every whitespace run (including the PDF's ``\\t\\r \\xa0``) into one space."""
    return _WS.sub(" ", text)


def clean(text: str) -> str:
    """Normalise hyphens, minus signs, quotes, ligatures and whitespace; strip the ends."""
    text = _HYPHEN_RUN.sub("-", text)
    text = text.translate(_TRANSLATE)
    return squash(text).strip()


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines of one paragraph: a space between lines, none after a hyphen or dash.

    The SRD never breaks a word with a hyphen of its own: a line ending in ``-`` or ``—``
    is a compound word or an unspaced dash that continues on the next line.
    """
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith(("-", "\u2014", "/")) and not out.endswith(" -"):
            out += line
        else:
            out += " " + line
    return out


def to_int(text: str) -> int:
    """Parse an integer as the SRD prints it: ``1,500`` or ``+5`` or ``-1``."""
    return int(clean(text).replace(",", "").replace("+", ""))
