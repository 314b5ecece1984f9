"""An anchored chain (issue: trust, part 5): certificates record the ledger head they were
issued at, a cooperative can publish its head, and rewriting events, even the newest with its
hash recomputed and every later link redone, is caught and named at the event changed."""

import pytest
from sqlalchemy import select, update

from coopchain.certs import registry
from coopchain.ledger.anchors import LedgerHead, check_anchors, current_head
from coopchain.ledger.models import LedgerEvent
from coopchain.ledger.services import event_hash, verify_chain
from tests import factories

pytestmark = pytest.mark.usefixtures("app_context")


def _events(session, org):
    return list(
        session.scalars(
            select(LedgerEvent)
            .where(LedgerEvent.organization_id == org.id)
            .order_by(LedgerEvent.seq)
        )
    )


def _rewrite_from(session, org, seq: int, change) -> None:
    """What a careful forger with database access does: change event `seq`, recompute its
    hash, and redo every later link and hash so the chain alone verifies again."""
    prev = None
    for event in _events(session, org):
        if event.seq < seq:
            prev = event.hash
            continue
        body = dict(event.payload)
        if event.seq == seq:
            body = change(body)
        body["prevHash"] = prev or body["prevHash"]
        new_hash = event_hash(body)
        session.execute(
            update(LedgerEvent)
            .where(LedgerEvent.id == event.id)
            .values(payload=body, prev_hash=body["prevHash"], hash=new_hash)
        )
        prev = new_hash
    session.expire_all()


def _forge_kg(body):
    return {**body, "data": {**body["data"], "net_kg": "5000"}}


@pytest.fixture
def certified(db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    _delivery, lot = factories.delivery(db_session, org, producer, plot)
    head_before = current_head(db_session, org.id)
    certificate = registry.issue_certificate(
        db_session,
        org.id,
        None,
        kind="lot",
        reference=lot.code,
        override_reason="t",
        may_override=True,
    )
    return certificate, head_before


def test_a_certificate_records_the_head_it_was_issued_at(db_session, org, certified):
    certificate, head_before = certified
    assert (certificate.ledger_seq, certificate.ledger_hash) == (head_before.seq, head_before.hash)
    issued = _events(db_session, org)[-1]
    assert issued.kind == "certificate.issued" and issued.seq == head_before.seq + 1
    assert issued.payload["data"]["ledgerHead"] == {
        "seq": head_before.seq,
        "hash": head_before.hash,
    }


def test_rewriting_the_chain_under_a_certificate_is_caught_by_its_anchor(
    db_session, org, certified
):
    certificate, head = certified
    delivery_event = next(e for e in _events(db_session, org) if e.kind == "delivery.registered")
    _rewrite_from(db_session, org, delivery_event.seq, _forge_kg)
    assert verify_chain(db_session, org.id)[1] is None  # the chain alone is fooled

    problems = check_anchors(db_session, org.id)

    assert [(p.source, p.seq) for p in problems] == [
        (f"certificate {certificate.number}", head.seq)
    ]
    assert "no longer" in problems[0].describe()


def test_a_published_head_catches_a_rewritten_newest_event(db_session, org, certified):
    published = current_head(db_session, org.id)
    newest = _events(db_session, org)[-1]
    _rewrite_from(
        db_session, org, newest.seq, lambda b: {**b, "data": {**b["data"], "override": "none"}}
    )
    assert verify_chain(db_session, org.id)[1] is None
    assert check_anchors(db_session, org.id) == []  # the certificate anchors the event before

    problems = check_anchors(db_session, org.id, extra=[("published head", published)])

    assert [(p.source, p.seq) for p in problems] == [("published head", newest.seq)]


def test_a_head_beyond_the_chain_is_reported(db_session, org, certified):
    head = current_head(db_session, org.id)
    ahead = LedgerHead(head.organization_code, head.seq + 5, head.hash)
    (problem,) = check_anchors(db_session, org.id, extra=[("published head", ahead)])
    assert "missing" in problem.describe()


def test_a_rewritten_event_is_named_itself_not_the_one_after_it(db_session, org):
    for _ in range(3):
        factories.producer(db_session, org)
    target = _events(db_session, org)[1]
    forged = {**target.payload, "data": {**target.payload["data"], "first_name": "Eva"}}
    db_session.execute(
        update(LedgerEvent)
        .where(LedgerEvent.id == target.id)
        .values(payload=forged, hash=event_hash(forged))
    )
    db_session.expire_all()
    checked, broken = verify_chain(db_session, org.id)
    assert (checked, broken.seq) == (1, target.seq)
    assert "rewritten" in broken.reason


def test_the_verify_page_and_the_pdf_show_the_anchor(client, db_session, org, certified):
    import subprocess

    certificate, head = certified
    page = client.get(f"/verify/{certificate.verify_code}?lang=en").data.decode()
    assert f"#{head.seq}" in page and head.hash in page
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=certificate.pdf, capture_output=True, check=True
    ).stdout.decode()
    # Issued in Spanish, the default: "evento n.º 4".
    assert f"n.º {head.seq}" in text and head.hash[:16] in text.replace("\n", "")
