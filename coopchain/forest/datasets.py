"""Forest datasets: the raster tiles a cooperative downloaded, registered once their files are
checked, then chosen for assessments (issue: forest evidence; DOMAIN.md §7)."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.clock import today
from coopchain.db import owned
from coopchain.errors import DomainError, NotFound
from coopchain.forest.models import ForestDataset
from coopchain.forest.raster_tiles import DatasetKind, RasterError, check_tiles, tile_paths
from coopchain.ledger.services import append


def register_dataset(session: Session, org_id: int, user_id, data: dict) -> ForestDataset:
    """Check every tile (readable, EPSG:4326, one band) and record the dataset. A bad file is
    named in the error and nothing is recorded."""
    errors: dict[str, list[str]] = {}
    kind = data.get("kind")
    if kind not in set(DatasetKind):
        errors["kind"] = [str(_l("Choose the kind of raster."))]
    version = (data.get("version") or "").strip()
    if not version or len(version) > 60:
        errors["version"] = [str(_l("The publisher's version, at most 60 characters."))]
    downloaded_on = data.get("downloaded_on")
    if not isinstance(downloaded_on, date) or downloaded_on > today():
        errors["downloaded_on"] = [str(_l("A date that is not in the future."))]
    paths = [p.strip() for p in data.get("paths") or [] if p and p.strip()]
    if not paths:
        errors["paths"] = [str(_l("Give at least one GeoTIFF file or folder of tiles."))]
    tiles = []
    if paths and "kind" not in errors:
        try:
            tiles = check_tiles(kind, tile_paths(paths))
        except RasterError as exc:
            errors["paths"] = [exc.message]
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)
    dataset = ForestDataset(
        organization_id=org_id,
        kind=kind,
        version=version,
        paths=paths,
        tile_count=len(tiles),
        downloaded_on=downloaded_on,
        user_id=user_id,
    )
    session.add(dataset)
    session.flush()
    append(
        session,
        org_id,
        "forest.dataset_registered",
        ("forest_dataset", dataset.id),
        {
            "kind": kind,
            "version": version,
            "paths": paths,
            "tiles": len(tiles),
            "downloadedOn": downloaded_on,
        },
        user_id=user_id,
    )
    return dataset


def list_datasets(session: Session, org_id: int) -> list[ForestDataset]:
    return list(
        session.scalars(
            owned(ForestDataset, org_id).order_by(
                ForestDataset.kind, ForestDataset.downloaded_on.desc(), ForestDataset.id
            )
        )
    )


def _datasets(session: Session, org_id: int, ids) -> list[ForestDataset]:
    wanted = sorted({int(i) for i in ids})
    found = list(session.scalars(owned(ForestDataset, org_id).where(ForestDataset.id.in_(wanted))))
    if len(found) != len(wanted):
        raise NotFound(str(_l("No such forest dataset.")))
    return found
