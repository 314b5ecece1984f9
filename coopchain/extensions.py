"""Flask extensions, created unbound here and bound to an app in create_app (DESIGN.md §6)."""

from flask import has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> str:
    """?lang= wins (public pages), then the user's choice (session) or, on the API,
    Accept-Language; Spanish otherwise."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands, the demo loader
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    requested = request.args.get("lang")
    if requested in languages:
        return requested
    if request.path.startswith("/api/"):
        # API clients say what they want in Accept-Language; cookies play no part there.
        return request.accept_languages.best_match(languages) or languages[0]
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


babel = Babel()
