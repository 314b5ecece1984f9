"""Anchors: ledger heads kept outside the chain (issue: trust, part 5).

A hash chain proves its events are consistent with each other, not that they are the events
that were written: whoever can write to the database can change an event, recompute its hash
and redo every later link, and the chain verifies again. What stops that is a copy of a head
(seq, hash) held somewhere the forger cannot reach: every certificate records the head it was
issued at (printed on the PDF, shown on /verify, held by the buyer and the certifier), and
`coopchain ledger-head` prints today's head for the cooperative to publish or send to its
certifier. `check_anchors` proves each such head still lies on the chain.
"""

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.certs.models import Certificate
from coopchain.clock import utcnow
from coopchain.db import in_organization
from coopchain.ledger.models import LedgerEvent
from coopchain.ledger.services import GENESIS_HASH


@dataclass(frozen=True)
class LedgerHead:
    organization_code: str
    #: 0 and the genesis hash for an organisation with no event yet.
    seq: int
    hash: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "organization": self.organization_code,
                "seq": self.seq,
                "hash": self.hash,
                "recorded_at": utcnow().isoformat(),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> "LedgerHead":
        """Read a file written by `coopchain ledger-head`; ValueError says what is wrong."""
        try:
            data = json.loads(text)
            head = cls(str(data["organization"]), int(data["seq"]), str(data["hash"]))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                "not a ledger head file: expected JSON with organization, seq and hash"
            ) from exc
        if head.seq < 0 or len(head.hash) != 64:
            raise ValueError("not a ledger head file: seq must be ≥ 0 and hash 64 hex digits")
        return head


def current_head(session: Session, organization_id: int) -> LedgerHead:
    code = session.scalar(select(Organization.code).where(Organization.id == organization_id))
    last = session.execute(
        select(LedgerEvent.seq, LedgerEvent.hash)
        .where(in_organization(LedgerEvent, organization_id))
        .order_by(LedgerEvent.seq.desc())
        .limit(1)
    ).first()
    return LedgerHead(code, last.seq, last.hash) if last else LedgerHead(code, 0, GENESIS_HASH)


@dataclass(frozen=True)
class AnchorProblem:
    #: Where the head was recorded: "certificate CC-…" or the file it was read from.
    source: str
    seq: int
    recorded_hash: str
    #: The hash event `seq` has now; None when the chain no longer reaches `seq`.
    found_hash: str | None

    def describe(self) -> str:
        if self.found_hash is None:
            return (
                f"{self.source} recorded event #{self.seq}, which is missing from the chain "
                "(events deleted)"
            )
        return (
            f"{self.source} recorded event #{self.seq} with hash {self.recorded_hash[:16]}…, "
            f"which the chain no longer holds (now {self.found_hash[:16]}…): an event up to "
            f"#{self.seq} was rewritten"
        )


def check_anchors(
    session: Session, organization_id: int, extra: list[tuple[str, LedgerHead]] = ()
) -> list[AnchorProblem]:
    """Every recorded head (each certificate's, and `extra` ones such as a published file)
    that no longer lies on the organisation's chain, oldest first."""
    heads = [
        (f"certificate {number}", seq, digest)
        for number, seq, digest in session.execute(
            select(Certificate.number, Certificate.ledger_seq, Certificate.ledger_hash)
            .where(
                in_organization(Certificate, organization_id),
                Certificate.ledger_seq.is_not(None),
            )
            .order_by(Certificate.id)
        )
    ]
    heads += [(source, head.seq, head.hash) for source, head in extra]
    wanted = {seq for _source, seq, _hash in heads}
    on_chain = dict(
        session.execute(
            select(LedgerEvent.seq, LedgerEvent.hash).where(
                in_organization(LedgerEvent, organization_id), LedgerEvent.seq.in_(wanted)
            )
        ).all()
    )
    on_chain[0] = GENESIS_HASH
    problems = [
        AnchorProblem(source, seq, digest, on_chain.get(seq))
        for source, seq, digest in heads
        if on_chain.get(seq) != digest
    ]
    return sorted(problems, key=lambda p: p.seq)
