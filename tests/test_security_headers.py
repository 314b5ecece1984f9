"""Every response carries security headers; staff pages run only the app's scripts and the
inline ones with this response's nonce (issue: trust, part 4)."""

import re
from pathlib import Path

import coopchain

TEMPLATES = Path(coopchain.__file__).parent / "templates"


def csp_of(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def test_a_staff_page_allows_only_its_own_scripts_and_the_nonced_inline_ones(client, login):
    login("staff")
    # The import page has an inline script (the intake form has none: its scripts are files a
    # service worker keeps for offline work).
    response = client.get("/deliveries/import")
    assert response.status_code == 200
    policy = csp_of(response)
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    page = response.data.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    # A new nonce for every response.
    assert csp_of(client.get("/deliveries/import"))["script-src"] != policy["script-src"]


def test_every_response_forbids_framing_sniffing_and_cross_site_referrers(client, api):
    for response in (
        client.get("/login"),
        client.get("/api/v1/producers", headers=api("staff")),
        client.get("/no-such-page"),
    ):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Content-Security-Policy" in response.headers


def test_no_template_has_an_inline_event_handler_or_an_inline_script_without_the_nonce():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\son[a-z]+\s*=", text), template
        for attrs in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
            assert "csp_nonce()" in attrs, template
