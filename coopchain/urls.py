"""Redirect targets taken from the request (?next=…) must stay on this site."""

from urllib.parse import urlsplit

from flask import url_for


def local_path_or_home(target: str | None) -> str:
    """`target` if it is a path on this site, else the dashboard.

    Browsers drop tabs and newlines and read a backslash as a slash, so "/\\t/evil" or "/\\evil"
    would leave the site; anything with those, a scheme or a host is refused.
    """
    if (
        target
        and target.startswith("/")
        and not any(ch in target for ch in "\\\t\r\n")
        and not target.startswith("//")
        and not urlsplit(target).scheme
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("core.dashboard")
