"""What every WeasyPrint document shares: one render_pdf(), a fetcher that fetches nothing, and
the CSS pieces for a translated "Page X of Y" (DESIGN.md §6: a url_fetcher that refuses
file:// and foreign hosts; here every URL is refused and documents inline what they need)."""

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from coopchain.formatting import TEMPLATE_HELPERS, use_locale


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


def render_html(template: str, *, locale: str | None = None, **context) -> str:
    """The document template as the HTML WeasyPrint lays out (render_pdf's first half; the
    certificate benchmark times bare WeasyPrint on it as the floor)."""
    if locale:
        use_locale(locale)
    return current_app.jinja_env.get_template(template).render(
        lang=str(get_locale()),
        page_counter=page_counter(),
        css_string=css_string,
        **{**TEMPLATE_HELPERS, **context},
    )


def write_pdf(
    html: str, *, url_fetcher: URLFetcher | None = None, pdf_variant: str | None = None
) -> bytes:
    """HTML as PDF bytes with the fetcher that refuses everything unless told otherwise."""
    options = {"pdf_variant": pdf_variant} if pdf_variant else {}
    return HTML(string=html, url_fetcher=url_fetcher or RefuseAllFetcher()).write_pdf(**options)


def render_pdf(
    template: str,
    *,
    url_fetcher: URLFetcher | None = None,
    pdf_variant: str | None = None,
    locale: str | None = None,
    **context,
) -> bytes:
    """A document template as PDF bytes, in the current language.

    The template gets `lang`, the formatting helpers every page uses (coopchain/formatting.py:
    kg, pct, money, day, moment…), "Page X of Y" and `css_string`; `context` adds the
    document's own data or overrides a helper. Nothing is fetched unless `url_fetcher` says
    so (the label sheets let their inline QR images through). Numbers and dates are written
    in `locale`, the organisation's whose document it is (formatting.use_locale)."""
    html = render_html(template, locale=locale, **context)
    return write_pdf(html, url_fetcher=url_fetcher, pdf_variant=pdf_variant)


# --- long tables as aligned monospace text ------------------------------------------------


def _wrapped(chars: list[tuple[str, str | None]], width: int) -> list[list]:
    """`chars` split into lines of at most `width`, at the last space that fits when there is
    one; the space a line breaks at is dropped."""
    lines = []
    while len(chars) > width:
        cut = next((i for i in range(width, 0, -1) if chars[i][0] == " "), None)
        if cut is None:
            lines.append(chars[:width])
            chars = chars[width:]
        else:
            lines.append(chars[:cut])
            chars = chars[cut + 1 :]
    lines.append(chars)
    return lines


def _cell_lines(parts: list[tuple[str, str | None]], width: int) -> list[list[tuple[str, str]]]:
    """One cell's logical lines (each a list of (text, css class) pieces) wrapped to `width`
    characters; a piece marked with a class keeps it on every wrapped line."""
    out = []
    for line in parts:
        pieces = line if isinstance(line, list) else [line]
        text = "".join(t for t, _c in pieces)
        if len(text) <= width:
            out.append(pieces)
            continue
        # Rare: wrap at spaces (a word longer than the column is cut), each character keeping
        # its piece's class.
        flat = [(ch, css) for t, css in pieces for ch in t]
        for chunk in _wrapped(flat, width):
            merged = []
            for ch, css in chunk:
                if merged and merged[-1][1] == css:
                    merged[-1] = (merged[-1][0] + ch, css)
                else:
                    merged.append((ch, css))
            out.append(merged)
    return out


def aligned_rows(rows: list[list[list]], widths: tuple[int, ...], right=()) -> list[Markup]:
    """Each row (a list of cells, a cell a list of lines, a line a (text, css class) piece or a
    list of them) as escaped monospace text: columns padded to `widths`, one space apart,
    columns in `right` right-aligned, classes as <span>s.

    For long tables in documents: WeasyPrint's cost grows with every table cell and every line
    box (a Pango layout each), so one monospaced cell per row whose columns the text itself
    aligns lays out several times faster than a cell per value (benchmarks/certificate_bench.py,
    bench_settlement.py). A value wider than its column wraps onto a continuation line."""
    rendered = []
    for row in rows:
        cells = [_cell_lines(cell, width) for cell, width in zip(row, widths, strict=True)]
        height = max(len(cell) for cell in cells)
        lines = []
        for n in range(height):
            out = []
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
                pieces = cell[n] if n < len(cell) else []
                length = sum(len(t) for t, _c in pieces)
                pad = " " * (width - length)
                html = "".join(
                    f'<span class="{c}">{escape(t)}</span>' if c else str(escape(t))
                    for t, c in pieces
                )
                out.append(pad + html if i in right else html + pad)
            lines.append(" ".join(out).rstrip())
        rendered.append(Markup("\n".join(lines)))  # noqa: S704  (every value escaped above)
    return rendered
