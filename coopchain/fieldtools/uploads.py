"""Uploaded field files kept between the steps of the import page (mapping, preview, import)."""

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import NotFound
from coopchain.fieldtools.models import FieldUpload

#: Uploads nobody imported are dropped after this long.
KEEP_FOR = timedelta(days=1)


def keep_upload(session: Session, org_id: int, data: bytes, fmt: str, filename: str) -> str:
    """Store the file for the next steps; returns the token that names it."""
    session.execute(
        delete(FieldUpload).where(
            in_organization(FieldUpload, org_id), FieldUpload.created_at < utcnow() - KEEP_FOR
        )
    )
    token = secrets.token_urlsafe(24)
    upload = FieldUpload(
        organization_id=org_id, token=token, filename=filename[:200], format=fmt, data=data
    )
    session.add(upload)
    session.flush()
    return token


def get_upload(session: Session, org_id: int, token: str) -> FieldUpload:
    upload = session.scalar(owned(FieldUpload, org_id).where(FieldUpload.token == token[:40]))
    if upload is None:
        raise NotFound(
            str(_l("This upload is gone (imported, or older than a day): upload again."))
        )
    return upload


def drop_upload(session: Session, upload: FieldUpload) -> None:
    session.delete(upload)
    session.flush()
