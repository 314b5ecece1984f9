"""Flask extensions, created unbound here and bound to an app in create_app (DESIGN.md §6)."""

import functools

from flask import has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


#: Blueprints of the public pages: ?lang=, then Accept-Language; never the session.
PUBLIC_PAGES = {"public_trace", "verify"}


def select_locale() -> str:
    """?lang= wins (public pages), then, on public pages and the API, Accept-Language, else the
    user's choice (session); Spanish otherwise."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands, the demo loader
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    requested = request.args.get("lang")
    if requested in languages:
        return requested
    if request.blueprint in PUBLIC_PAGES:
        # A buyer in Hamburg has no session with us: their phone's language decides.
        best = best_language(request.headers.get("Accept-Language", ""), tuple(languages))
        return best or current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        # API clients say what they want in Accept-Language; cookies play no part there.
        return request.accept_languages.best_match(languages) or languages[0]
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@functools.lru_cache(maxsize=256)
def best_language(accept_language: str, languages: tuple[str, ...]) -> str | None:
    """The best of `languages` for an Accept-Language header, or None. Remembered per header:
    phones send a handful of distinct headers, and parsing one each time was ~25 µs of a cached
    bag page's ~200 µs more than a trivial route (issue 19 §3). Bounded: odd headers only push
    others out."""
    return parse_accept_header(accept_language, LanguageAccept).best_match(languages)


babel = Babel()

#: Pages that must never set or depend on a cookie (they have no form, so no CSRF token).
COOKIELESS_PAGES = {"public_trace", "payment_receipts"}


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except on the public trace pages: there no cookie is
    set and the response does not vary on one (Flask-Login reads the session after every
    request, which would add `Vary: Cookie`), so phones and proxies may share one cached page."""

    def save_session(self, app, session, response) -> None:
        if has_request_context() and request.blueprint in COOKIELESS_PAGES:
            return
        super().save_session(app, session, response)
