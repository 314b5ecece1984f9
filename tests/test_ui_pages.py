"""The style guide and the favicon (issue: staff's working day, visual design): the guide shows
every shared component from the real stylesheet; /favicon.ico no longer answers 404."""

import re


def test_favicon_is_served_without_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert response.cache_control.max_age >= 24 * 3600


def test_pages_declare_the_svg_icon(client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg"', page)
    assert client.get("/static/favicon.svg").status_code == 200


def test_style_guide_shows_each_component(client, login):
    login("auditor")  # every staff role may read it
    response = client.get("/styleguide")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for fragment in (
        '<button type="button" class="secondary">',
        '<button type="button" class="danger">',
        '<button type="button" class="small">',
        'class="badge organic"',
        'class="badge in_conversion"',
        'class="badge conventional"',
        'class="badge revoked"',
        'class="badge blocking"',
        'class="flash error"',
        'class="flash success"',
        'class="field invalid"',  # the form shows a field with its error
        'class="errors" role="alert"',
        '<table class="list cards">',
    ):
        assert fragment in page, fragment
    # Every cell of the cards table is labelled for the phone layout.
    table = page.split('<table class="list cards">')[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>", table)
    assert cells and all("data-label=" in cell for cell in cells)


def test_menu_marks_the_current_page(client, login):
    login("staff")
    page = client.get("/producers").get_data(as_text=True)
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', page)
    assert current == ["/producers"]
    # A keyboard user skips the menu: the first link jumps into main.
    assert 'class="skip-link" href="#content"' in page
    assert '<span id="content" tabindex="-1">' in page.split("<main>")[1]
