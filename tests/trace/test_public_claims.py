"""What the public pages, the bag labels and the certificate claim about organic, conservation
agreements and forest follows the compliance engine's findings for the same lot and day: one
judgement, never two (issue: trust, part 6)."""

import re
import subprocess
from datetime import date

import pytest
from flask_babel import force_locale

from coopchain.certs import compliance, registry
from coopchain.farms.agreements import agreements_of_producer, set_agreement_status
from coopchain.forest.evidence import record_evidence
from coopchain.lots.bags import create_bags
from coopchain.trace.label_sheets import bag_labels, labels_pdf
from tests.trace import public_fixtures
from tests.trace.public_fixtures import (
    forest_checked,
    get_page,
    green_lot_of,
    grower,
    visible_text,
)

app = public_fixtures.app

ON = date(2026, 5, 1)
ORGANIC = {"ORG-ORIGIN", "ORG-COMMINGLED", "ORG-CERTIFICATE"}
FOREST = {"FOR-LOSS", "FOR-MISSING", "FOR-MORE-INFO"}


def codes(db_session, org, lot) -> set[str]:
    return {f.code for f in compliance.check_lot(db_session, org.id, lot.code).findings}


def claim_of(html: str, name: str) -> str:
    """The visible text of one claim on the page (organic, agreement, forest)."""
    found = re.search(rf'<dd class="claim {name}">(.*?)</dd>', html, re.S)
    assert found, f"no {name} claim on the page"
    return visible_text(found[1])


def pdf_text(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@pytest.fixture
def uncertified(db_session, org):
    """A bag from an organic plot whose certifier was typed in, but no certificate number and
    validity; the agreement is active and the forest evidence clean."""
    producer, plot = grower(db_session, org, certifier="Control Union Perú", certificate=False)
    forest_checked(db_session, org, plot)
    lot = green_lot_of(db_session, org, producer, plot)
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)
    return lot, bag


@pytest.fixture
def certified(db_session, org):
    """The same with a valid certificate: nothing for the engine to find."""
    producer, plot = grower(
        db_session, org, certifier="Control Union Perú", valid_until=date(2030, 12, 31)
    )
    forest_checked(db_session, org, plot)
    lot = green_lot_of(db_session, org, producer, plot)
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)
    return lot, bag, producer


# --- the public pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "not_certified", "certified_words"),
    [
        ("en", "not certified organic", ("Certified by", "certified organic ✓")),
        ("es", "sin certificación orgánica", ("Certificado por", "orgánico certificado ✓")),
    ],
)
@pytest.mark.parametrize("page", ["bag", "lot"])
def test_a_certifier_without_a_certificate_is_not_claimed(
    client, db_session, org, uncertified, page, lang, not_certified, certified_words
):
    lot, bag = uncertified
    assert "ORG-CERTIFICATE" in codes(db_session, org, lot)
    path = f"/b/{bag.public_token}" if page == "bag" else f"/l/{lot.public_token}"

    html = get_page(client, path, lang).text

    organic = claim_of(html, "organic")
    assert not_certified in organic
    assert "✓" not in organic
    for words in certified_words:
        assert words not in visible_text(html)
    assert "Control Union" not in visible_text(html)


def test_the_page_and_the_engine_agree_when_everything_holds(client, db_session, org, certified):
    lot, bag, _producer = certified
    assert codes(db_session, org, lot) & (ORGANIC | FOREST | {"AGR-ACTIVE"}) == set()

    html = get_page(client, f"/b/{bag.public_token}").text

    organic = claim_of(html, "organic")
    assert "certified organic ✓" in organic
    assert "Certified by Control Union Perú" in organic
    assert "✓" in claim_of(html, "agreement")
    assert "✓" in claim_of(html, "forest")


def test_a_suspended_agreement_is_not_claimed(client, db_session, org, certified):
    lot, bag, producer = certified
    (agreement,) = agreements_of_producer(db_session, org.id, producer.id)
    set_agreement_status(
        db_session, org.id, None, agreement.id, "suspended", "Clearing found", date(2026, 5, 1)
    )
    assert "AGR-ACTIVE" in codes(db_session, org, lot)

    html = get_page(client, f"/b/{bag.public_token}").text

    agreement_claim = claim_of(html, "agreement")
    assert "✓" not in agreement_claim
    assert "Not every family had an active conservation agreement" in agreement_claim
    assert "conservation agreement since" not in visible_text(html)
    assert "✓" in claim_of(html, "organic")  # the other claims stand


@pytest.mark.parametrize(
    ("result", "code", "words"),
    [
        ("loss_after_cutoff", "FOR-LOSS", "Forest loss after 2020"),
        ("more_info_needed", "FOR-MORE-INFO", "field check"),
        (None, "FOR-MISSING", "No forest evidence"),
    ],
)
def test_forest_is_claimed_only_without_forest_findings(
    client, db_session, org, result, code, words
):
    producer, plot = grower(
        db_session, org, certifier="Control Union Perú", valid_until=date(2030, 12, 31)
    )
    if result:
        data = {
            "kind": "manual",
            "result": result,
            "source": "GFW",
            "observed_on": date(2026, 5, 1),
        }
        if result == "loss_after_cutoff":
            data["loss_after_cutoff_ha"] = "0.3"
        record_evidence(db_session, org.id, None, plot.id, data)
    lot = green_lot_of(db_session, org, producer, plot)
    assert code in codes(db_session, org, lot)

    forest = claim_of(get_page(client, f"/l/{lot.public_token}").text, "forest")

    assert "✓" not in forest
    assert words in forest


# --- labels and certificate -------------------------------------------------------------------


def test_labels_claim_what_the_engine_found(db_session, org, uncertified, certified, tmp_path):
    (_lot, bag), (_lot2, good_bag, _producer) = uncertified, certified

    labels = bag_labels(db_session, org.id, [bag, good_bag])

    assert [label["organic_claim"] for label in labels] == [
        "organic_not_certified",
        "certified_organic",
    ]
    # The organic words (and the control body) are printed only when the claim holds.
    with force_locale("en"):
        text = pdf_text(labels_pdf(db_session, org.id, [bag], "single"), tmp_path, "l.pdf")
    assert "ORGANIC" not in text.upper() and "Control Union" not in text
    with force_locale("en"):
        good = pdf_text(labels_pdf(db_session, org.id, [good_bag], "single"), tmp_path, "g.pdf")
    assert "ORGANIC · ORGÁNICO" in good


def test_the_certificate_claims_what_the_engine_found(db_session, org, uncertified, tmp_path):
    lot, _bag = uncertified
    with force_locale("en"):
        certificate = registry.issue_certificate(
            db_session,
            org.id,
            None,
            kind="lot",
            reference=lot.code,
            language="en",
            override_reason="Certificate renewal in progress.",
            may_override=True,
        )

    text = pdf_text(certificate.pdf, tmp_path, "c.pdf")

    assert "ORG-CERTIFICATE" in text
    assert re.search(r"Organic claim not certified organic", text)
    assert "Organic status organic" not in text


def test_a_clean_lots_certificate_claims_all_three(db_session, org, certified, tmp_path):
    lot, _bag, _producer = certified
    with force_locale("en"):
        certificate = registry.issue_certificate(
            db_session, org.id, None, kind="lot", reference=lot.code, language="en"
        )

    text = pdf_text(certificate.pdf, tmp_path, "c.pdf")

    assert "Organic claim certified organic" in text
    assert "Conservation agreements active on every delivery" in text
    assert "Forest no loss after 2020-12-31 on any plot" in text
