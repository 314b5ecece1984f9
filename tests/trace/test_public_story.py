"""The cooperative's own words and photo on its public pages: set by an admin, each change a
ledger event; a photo is checked by what its bytes are, stripped of camera data, and served by
the app with long caching; a refused upload says why and changes nothing."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from coopchain.ledger.models import LedgerEvent
from coopchain.lots.bags import create_bags
from tests.trace import public_fixtures
from tests.trace.public_fixtures import get_page, visible_text

app, traced = public_fixtures.app, public_fixtures.traced

STORY = "Somos 312 familias cafetaleras del Alto Mayo.\nCuidamos el bosque con SERNANP."
SETTINGS = "/settings/public-trace"


@pytest.fixture
def admin(client, login):
    user = login("admin")
    client.get("/lang/en")
    return user


def image_bytes(fmt: str, size=(1600, 900), exif_gps=False, mode="RGB") -> bytes:
    image = Image.new(mode, size, (30, 120, 40) if mode == "RGB" else (30, 120, 40, 200))
    out = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x010E] = "Finca at -5.701234 -77.412345"  # ImageDescription: where the house is
        kwargs["exif"] = exif
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(client, data: bytes, name: str):
    return client.post(
        SETTINGS,
        data={"form": "photo", "photo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def fresh(db_session, org):
    """The organisation as the requests left it (they ran in sessions of their own)."""
    db_session.expire(org)
    return org


def events(db_session, org, kind):
    return db_session.scalars(
        select(LedgerEvent).where(LedgerEvent.organization_id == org.id, LedgerEvent.kind == kind)
    ).all()


def bag_page(client, traced, lang="en"):
    return get_page(client, f"/b/{traced.bag.public_token}", lang=lang)


def test_an_admin_writes_the_region_and_story_buyers_read(client, db_session, traced, admin):
    response = client.post(
        SETTINGS, data={"form": "profile", "region": " Alto Mayo,  San Martín ", "story": STORY}
    )

    assert response.status_code == 302
    assert (
        fresh(db_session, traced.org).region == "Alto Mayo, San Martín"
        and traced.org.public_story == STORY
    )
    (event,) = events(db_session, traced.org, "organization.public_profile_set")
    assert event.payload["data"] == {"region": "Alto Mayo, San Martín", "story": STORY}
    html = bag_page(client, traced).text
    assert "About the cooperative" in visible_text(html)
    assert "Somos 312 familias cafetaleras del Alto Mayo." in html
    assert visible_text(html).split(" — ")[0].endswith("Alto Mayo, San Martín, Peru")
    spanish = visible_text(bag_page(client, traced, "es").text)
    assert "Sobre la cooperativa" in spanish


def test_a_story_too_long_is_refused_and_changes_nothing(client, db_session, traced, admin):
    response = client.post(SETTINGS, data={"form": "profile", "region": "", "story": "x" * 1001})

    assert response.status_code == 422
    assert "At most 1000 characters." in visible_text(response.text)
    assert fresh(db_session, traced.org).public_story is None
    assert not events(db_session, traced.org, "organization.public_profile_set")


def test_the_story_is_text_not_markup(client, db_session, traced, admin):
    client.post(SETTINGS, data={"form": "profile", "region": "", "story": "<b>hola</b>"})

    html = bag_page(client, traced).text

    assert "<b>hola</b>" not in html and "&lt;b&gt;hola&lt;/b&gt;" in html


def test_a_photo_is_stored_without_camera_data_and_served_with_caching(
    client, db_session, traced, admin
):
    response = upload(client, image_bytes("JPEG", exif_gps=True), "finca.jpg")

    assert response.status_code == 302
    stored = fresh(db_session, traced.org).public_photo
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 1200  # scaled down from 1600
        assert not image.getexif()  # no GPS, no maker
    assert b"PhoneMaker" not in stored and b"-5.701234" not in stored
    (event,) = events(db_session, traced.org, "organization.public_photo_set")
    assert event.payload["data"]["bytes"] == len(stored)

    html = bag_page(client, traced).text
    src = re.search(r'<img src="(/o/[^"]+\.jpg)"', html).group(1)
    assert 'width="1200" height="675"' in html  # its space is kept while it loads
    served = client.get(src)
    assert served.status_code == 200 and served.data == stored
    assert served.headers["Content-Type"] == "image/jpeg"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(src, headers={"If-None-Match": served.headers["ETag"]}).status_code == 304
    assert client.get(src.replace("photo-", "photo-0")).status_code == 404
    assert "img-src 'self' data:" in bag_page(client, traced).headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7 not an image at all", "foto.jpg", "The file is not a JPEG, PNG or WebP image."),
        (b"", "vacio.png", "Choose a photo to upload."),
        (b"GIF89a" + b"\0" * 64, "anim.gif", "The file is not a JPEG, PNG or WebP image."),
        (image_bytes("GIF", size=(20, 20)), "anim.png", "must be a JPEG, PNG or WebP"),
        (image_bytes("PNG")[:400], "cut.png", "damaged or incomplete"),
        (b"\xff\xd8" + b"\0" * (1024 * 1024), "big.jpg", "larger than 1 MB"),
    ],
)
def test_a_bad_upload_is_refused_and_changes_nothing(
    client, db_session, traced, admin, data, name, message
):
    upload(client, image_bytes("PNG", size=(300, 200)), "first.png")
    before = fresh(db_session, traced.org).public_photo
    count = len(events(db_session, traced.org, "organization.public_photo_set"))

    response = upload(client, data, name)

    assert response.status_code == 422
    assert message in visible_text(response.text)
    assert 'aria-invalid="true" aria-describedby="photo-error"' in response.text
    assert fresh(db_session, traced.org).public_photo == before
    assert len(events(db_session, traced.org, "organization.public_photo_set")) == count


def test_png_and_webp_become_jpeg_and_the_photo_can_be_removed(client, db_session, traced, admin):
    for fmt, mode in (("PNG", "RGBA"), ("WEBP", "RGB")):
        assert upload(client, image_bytes(fmt, size=(400, 300), mode=mode), "x").status_code == 302
        assert fresh(db_session, traced.org).public_photo.startswith(b"\xff\xd8")  # JPEG
    src = re.search(r'<img src="(/o/[^"]+\.jpg)"', bag_page(client, traced).text).group(1)

    assert client.post(SETTINGS, data={"form": "remove_photo"}).status_code == 302

    assert fresh(db_session, traced.org).public_photo is None
    assert events(db_session, traced.org, "organization.public_photo_removed")
    assert "<img" not in bag_page(client, traced).text
    assert client.get(src).status_code == 404


@pytest.mark.parametrize("role", ["staff", "quality", "auditor"])
def test_only_admins_change_what_buyers_read(client, login, db_session, traced, role):
    login(role)
    response = client.post(SETTINGS, data={"form": "profile", "region": "X", "story": "Y"})
    assert response.status_code == 403
    assert fresh(db_session, traced.org).public_story is None


def test_a_page_with_story_photo_and_a_detailed_forest_outline_stays_light(
    client, db_session, traced, admin
):
    from coopchain.farms.models import ProtectedArea

    client.post(SETTINGS, data={"form": "profile", "region": "Alto Mayo", "story": "é" * 1000})
    upload(client, image_bytes("JPEG"), "x.jpg")
    # An outline of 2,000 vertices (as an admin might upload from SERNANP) wrapping the plots.
    import math

    ring = [
        [-77.42 + 0.3 * math.cos(t / 1000 * math.pi), -5.70 + 0.25 * math.sin(t / 1000 * math.pi)]
        for t in range(2000)
    ]
    db_session.add(
        ProtectedArea(
            organization_id=traced.org.id,
            name="Bosque de Protección Alto Mayo",
            geometry={"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        )
    )
    db_session.flush()
    more = create_bags(db_session, traced.org.id, None, traced.lot.code, 1)

    response = get_page(client, f"/b/{more[0].public_token}", headers={"Accept-Encoding": ""})

    assert response.status_code == 200
    assert len(response.data) < 100_000
    assert 'class="area"' in response.text
