"""What every WeasyPrint document shares: a fetcher that fetches nothing, and the CSS pieces
for a translated "Page X of Y" (DESIGN.md §6: a url_fetcher that refuses file:// and foreign
hosts; here every URL is refused and documents inline what they need)."""

from flask_babel import gettext as _
from markupsafe import Markup
from weasyprint.urls import URLFetcher


class RefuseAllFetcher(URLFetcher):
    """No external resource of any kind (file://, http(s)://, data:): a document is built from
    its template alone, so a value typed by a user can never make the server read a local file
    or call another host. WeasyPrint logs the refusal and leaves the resource out."""

    def fetch(self, url, headers=None):
        raise ValueError(f"external resources are not allowed in documents: {url[:80]}")


def css_string(text: str) -> Markup:
    """Text as a CSS string literal (for @page content); escaped, so a translation with a
    quote or a "</style>" cannot break out of the style sheet."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " .,:;-–—/()" else f"\\{ord(ch):x} " for ch in str(text)
    )
    return Markup(f'"{escaped}"')  # noqa: S704  (every special character is escaped)


def page_counter() -> Markup:
    """CSS `content` for "Page X of Y" in the current locale, counters in the translator's
    word order."""
    words = _("Page %(page)s of %(pages)s", page="\0page\0", pages="\0pages\0")
    parts = []
    for piece in words.split("\0"):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(css_string(piece))
    return Markup(" ".join(parts))  # noqa: S704  (escaped literals and counters only)
