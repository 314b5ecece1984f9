"""Text compared the way people type it: without accents and case ("vasquez" finds "Vásquez").

The same folding in Python (`fold`, for what is typed) and in SQL (`folded`, for a column), with
nothing but nested replace() and lower(): the same expression on SQLite (which has no translate()
and lowers ASCII only) and PostgreSQL, and no extension or extra column to keep in step.
"""

import unicodedata

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

#: The accented letters of Spanish names as written in Peru. Only these: SQLite's parser gives up
#: on an expression nested about 25 deep ("parser stack overflow"), and each letter is one level.
ACCENTED = "ÁÉÍÓÚÜÑáéíóúüñ"


def fold(text: str) -> str:
    """Lower case without accents: "Vásquez Ñaupari" → "vasquez naupari"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


#: Each accented letter with its plain letter, as fold() gives it.
_PAIRS = tuple((letter, fold(letter)) for letter in ACCENTED)


def folded(column) -> ColumnElement:
    """`column` lower-cased without accents, in SQL both databases run."""
    expression = func.coalesce(column, "")
    for letter, plain in _PAIRS:
        expression = func.replace(expression, letter, plain)
    return func.lower(expression)


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def digits_only(column) -> ColumnElement:
    """A phone or ID number without the spaces, dashes, dots and brackets people put in it."""
    expression = func.coalesce(column, "")
    for mark in (" ", "-", ".", "(", ")", "+", "/"):
        expression = func.replace(expression, mark, "")
    return expression


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its wildcards taken literally (escape "\\")."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
