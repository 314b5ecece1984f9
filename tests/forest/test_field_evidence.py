"""Field visits as forest evidence (DOMAIN.md §7, issue 7 item 4): photos kept as sha256
hashes, and an administrator's visit resolving a plot's open "more information needed"."""

import hashlib
import io
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from coopchain.clock import today
from coopchain.errors import DomainError, NotFound
from coopchain.farms.models import ForestEvidence
from coopchain.forest import evidence as forest
from coopchain.forest import field_evidence
from coopchain.ledger.models import LedgerEvent
from tests import factories

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"photo of shade trees" * 50
PNG = b"\x89PNG\r\n\x1a\n" + b"photo of the coffee rows" * 50
MAPS_DAY = today() - timedelta(days=60)
VISIT_DAY = today() - timedelta(days=10)


@pytest.fixture(autouse=True)
def english(request):
    """Service messages in English, whatever the translations say (pages ask for /lang/en)."""
    request.getfixturevalue("app_context")  # force_locale needs the app context first
    with force_locale("en"):
        yield


@pytest.fixture
def plot(db_session, org):
    return factories.plot(db_session, org, factories.producer(db_session, org))


@pytest.fixture
def unclear(db_session, org, plot):
    """What Whisp or the rasters say of shade coffee: tree cover, no loss."""
    return forest.record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {
            "kind": "manual",
            "result": "more_info_needed",
            "source": "FAO Whisp · run.csv",
            "observed_on": MAPS_DAY,
        },
    )


def visit(**fields) -> dict:
    return {
        "visited_on": VISIT_DAY,
        "visitor": "Juan Pérez, guardaparque",
        "result": "deforestation_free",
        "notes": "Café bajo sombra de guabas e ingas; bosque en pie.",
        **fields,
    }


def record(db_session, org, plot, photos=(("shade.jpg", JPEG),), *, may_resolve=False, **fields):
    return field_evidence.record_field_visit(
        db_session, org.id, None, plot.id, visit(**fields), list(photos), may_resolve=may_resolve
    )


def refused(db_session, org, plot, photos=(("shade.jpg", JPEG),), **kwargs) -> dict:
    with pytest.raises(DomainError) as caught:
        record(db_session, org, plot, photos, **kwargs)
    return caught.value.fields


# --- the service ------------------------------------------------------------------------------


def test_photos_are_kept_as_their_sha256(db_session, org, plot):
    saved = record(db_session, org, plot, [("shade.jpg", JPEG), ("rows.png", PNG)])

    expected = [hashlib.sha256(JPEG).hexdigest(), hashlib.sha256(PNG).hexdigest()]
    assert saved.photo_sha256 == expected
    assert (saved.kind, saved.result, saved.observed_on) == (
        "field",
        "deforestation_free",
        VISIT_DAY,
    )
    assert saved.measurements["photos"][1] == {
        "file": "rows.png",
        "sha256": expected[1],
        "bytes": len(PNG),
    }
    event = db_session.scalar(
        select(LedgerEvent).where(LedgerEvent.kind == "forest.evidence_recorded")
    )
    assert event.payload["data"]["photoSha256"] == expected
    assert event.payload["data"]["resolves"] is None


def test_the_same_photo_twice_counts_once(db_session, org, plot):
    saved = record(db_session, org, plot, [("a.jpg", JPEG), ("copy of a.jpg", JPEG)])
    assert saved.photo_sha256 == [hashlib.sha256(JPEG).hexdigest()]


def test_a_file_that_is_not_a_photo_is_named(db_session, org, plot):
    photos = [("shade.jpg", JPEG), ("informe.pdf", b"%PDF-1.7 ..."), ("fake.jpg", b"GIF89a")]

    fields = refused(db_session, org, plot, photos)

    assert fields["photos"] == [
        "informe.pdf is not a JPEG or PNG photo.",
        "fake.jpg is not a JPEG or PNG photo.",
    ]
    assert db_session.scalar(select(func.count()).select_from(ForestEvidence)) == 0


def test_too_many_or_too_large_photos_are_refused(db_session, org, plot, monkeypatch):
    monkeypatch.setattr(field_evidence, "MAX_PHOTO_BYTES", len(JPEG) - 1)
    assert refused(db_session, org, plot)["photos"] == ["shade.jpg is larger than 0 MB."]

    monkeypatch.setattr(field_evidence, "MAX_PHOTO_BYTES", 15 * 1024 * 1024)
    many = [(f"{n}.png", PNG + bytes([n])) for n in range(21)]
    assert refused(db_session, org, plot, many)["photos"] == [
        "At most 20 photos per visit; 21 were chosen."
    ]


def test_every_bad_field_is_named(db_session, org, plot):
    fields = refused(
        db_session,
        org,
        plot,
        visited_on=today() + timedelta(days=1),
        visitor=" ",
        result="more_info_needed",
        notes="x" * 1001,
    )
    assert set(fields) == {"visited_on", "visitor", "result", "notes"}

    assert set(refused(db_session, org, plot, result="loss_after_cutoff")) == {
        "loss_after_cutoff_ha"
    }
    lost = record(db_session, org, plot, result="loss_after_cutoff", loss_after_cutoff_ha="0,2")
    assert str(lost.loss_after_cutoff_ha) == "0.2"


def test_an_administrators_visit_resolves_more_info_needed(db_session, org, plot, unclear):
    saved = record(db_session, org, plot, may_resolve=True, resolves_id=unclear.id)

    assert saved.resolves_id == unclear.id
    assert forest.latest_evidence(db_session, org.id, [plot.id])[plot.id] == saved
    assert field_evidence.open_more_info_needed(db_session, org.id, plot.id) is None
    event = db_session.scalars(
        select(LedgerEvent)
        .where(LedgerEvent.kind == "forest.evidence_recorded")
        .order_by(LedgerEvent.seq)
    ).all()[-1]
    assert event.payload["data"]["resolves"] == unclear.id


def test_only_an_administrator_may_resolve(db_session, org, plot, unclear):
    with pytest.raises(field_evidence.ResolveNotAllowed):
        record(db_session, org, plot, may_resolve=False, resolves_id=unclear.id)


def test_another_plots_evidence_cannot_be_resolved(db_session, org, plot, unclear, other_org):
    mine = factories.plot(db_session, org, factories.producer(db_session, org))
    theirs = factories.plot(db_session, other_org, factories.producer(db_session, other_org))

    for target in (mine, theirs):
        with pytest.raises((DomainError, NotFound)) as caught:
            record(db_session, org, target, may_resolve=True, resolves_id=unclear.id)
        if target is mine:
            assert caught.value.fields == {"resolves_id": ["That evidence is not this plot's."]}
        else:
            assert isinstance(caught.value, NotFound)
    resolving = select(func.count()).where(ForestEvidence.resolves_id == unclear.id)
    assert db_session.scalar(resolving) == 0


def test_only_live_open_more_info_needed_is_resolved(db_session, org, plot, unclear):
    free = record(db_session, org, plot)
    assert refused(db_session, org, plot, may_resolve=True, resolves_id=free.id) == {
        "resolves_id": ['Only "more information needed" evidence can be resolved by a visit.']
    }
    too_early = MAPS_DAY - timedelta(days=1)
    assert set(
        refused(
            db_session, org, plot, may_resolve=True, resolves_id=unclear.id, visited_on=too_early
        )
    ) == {"visited_on"}
    assert refused(db_session, org, plot, [], may_resolve=True, resolves_id=unclear.id) == {
        "photos": ['A visit that resolves "more information needed" needs its photos.']
    }

    record(db_session, org, plot, may_resolve=True, resolves_id=unclear.id)
    again = refused(db_session, org, plot, may_resolve=True, resolves_id=unclear.id)
    assert again["resolves_id"][0].startswith("Already resolved by the field visit of")

    forest.void_evidence(db_session, org.id, None, unclear.id, "Wrong plot outline")
    assert refused(db_session, org, plot, may_resolve=True, resolves_id=unclear.id) == {
        "resolves_id": ["That evidence was voided; there is nothing to resolve."]
    }


# --- the page ---------------------------------------------------------------------------------


def send(client, plot, photos=(("shade.jpg", JPEG),), **form):
    data = {
        "visited_on": VISIT_DAY.isoformat(),
        "visitor": "Juan Pérez",
        "result": "deforestation_free",
        "notes": "",
        **form,
        "photos": [(io.BytesIO(content), name) for name, content in photos],
    }
    return client.post(
        f"/plots/{plot.id}/field-visit", data=data, content_type="multipart/form-data"
    )


@pytest.fixture
def as_role(client, login):
    def do(role):
        login(role)
        client.get("/lang/en")

    return do


def test_staff_record_a_visit_with_photos(client, as_role, db_session, org, plot):
    as_role("staff")
    page = client.get(f"/plots/{plot.id}/field-visit").get_data(as_text=True)
    assert 'name="photos" multiple' in page and 'name="csrf_token"' in page

    response = send(client, plot, [("shade.jpg", JPEG), ("rows.png", PNG)])

    assert response.status_code == 302
    assert response.location.endswith(f"/plots/{plot.id}/forest-evidence")
    (saved,) = forest.evidence_of(db_session, org.id, plot.id)
    assert saved.photo_sha256 == [hashlib.sha256(JPEG).hexdigest(), hashlib.sha256(PNG).hexdigest()]
    assert "Field visit recorded." in client.get(response.location).get_data(as_text=True)


def test_the_page_names_the_file_that_is_not_a_photo(client, as_role, db_session, org, plot):
    as_role("staff")

    response = send(client, plot, [("informe.pdf", b"%PDF-1.7")], visitor="Ana <b>Ruiz</b>")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "informe.pdf is not a JPEG or PNG photo." in page
    assert 'value="Ana &lt;b&gt;Ruiz&lt;/b&gt;"' in page  # kept, as text
    assert forest.evidence_of(db_session, org.id, plot.id) == []


def test_an_administrator_sees_and_uses_the_resolve_box(
    client, as_role, db_session, org, plot, unclear
):
    as_role("admin")
    page = client.get(f"/plots/{plot.id}/field-visit").get_data(as_text=True)
    assert 'name="resolve" value="1"' in page and f'value="{unclear.id}"' in page
    assert "FAO Whisp · run.csv" in page

    response = send(client, plot, resolve="1", resolves_id=str(unclear.id))

    assert response.status_code == 302, response.data
    latest = forest.latest_evidence(db_session, org.id, [plot.id])[plot.id]
    assert (latest.kind, latest.resolves_id) == ("field", unclear.id)
    assert 'name="resolve"' not in client.get(f"/plots/{plot.id}/field-visit").get_data(
        as_text=True
    )


def test_the_resolve_box_shows_the_evidence_source_as_text(client, as_role, db_session, org, plot):
    forest.record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {
            "kind": "manual",
            "result": "more_info_needed",
            "observed_on": MAPS_DAY,
            "source": '<img src=x onerror="alert(1)">',
        },
    )
    as_role("admin")

    page = client.get(f"/plots/{plot.id}/field-visit").get_data(as_text=True)

    assert "&lt;img src=x" in page and "<img src=x" not in page


def test_staff_may_record_but_not_resolve(client, as_role, db_session, org, plot, unclear):
    as_role("staff")
    page = client.get(f"/plots/{plot.id}/field-visit").get_data(as_text=True)
    assert 'name="resolve"' not in page and "an administrator can then confirm" in page

    assert send(client, plot, resolve="1", resolves_id=str(unclear.id)).status_code == 403
    assert forest.latest_evidence(db_session, org.id, [plot.id])[plot.id] == unclear


def test_auditors_and_other_organisations_are_kept_out(
    client, as_role, db_session, other_org, plot
):
    as_role("auditor")
    assert client.get(f"/plots/{plot.id}/field-visit").status_code == 403
    assert send(client, plot).status_code == 403

    theirs = factories.plot(db_session, other_org, factories.producer(db_session, other_org))
    as_role("admin")
    assert client.get(f"/plots/{theirs.id}/field-visit").status_code == 404
    assert send(client, theirs).status_code == 404


def test_photos_above_the_app_wide_upload_limit_are_taken(client, as_role, db_session, org, plot):
    """A phone's photos together pass the app's 10 MB limit for other forms."""
    as_role("staff")
    big = [(f"{n}.jpg", JPEG + bytes([n]) * (6 * 1024 * 1024)) for n in range(2)]

    assert send(client, plot, big).status_code == 302
    assert len(forest.evidence_of(db_session, org.id, plot.id)[0].photo_sha256) == 2
