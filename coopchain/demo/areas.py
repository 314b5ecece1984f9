"""The demo's protected-area outlines (issue 15): the Alto Mayo Protection Forest and its
buffer zone, HAND-DRAWN and APPROXIMATE, so the maps have something to show. They are stored
with approximate=True and a source that says so; a cooperative uploads the official boundary
(SERNANP, WDPA) from the protected-areas page. No randomness: the demo's seed is untouched."""

from sqlmodel import Session

from coopchain.farms.protected_areas import create_area

SOURCE = (
    "Trazado a mano, aproximado, solo para la demo; no es el límite oficial del SERNANP "
    "(hand-drawn approximation for the demo, not the official boundary)"
)

#: Roughly the forest north of the demo plots (lon, lat), traced by eye: not for any decision.
FOREST = [
    [-77.86, -5.42],
    [-77.74, -5.31],
    [-77.58, -5.27],
    [-77.43, -5.33],
    [-77.30, -5.42],
    [-77.24, -5.52],
    [-77.30, -5.58],
    [-77.42, -5.57],
    [-77.55, -5.60],
    [-77.70, -5.61],
    [-77.82, -5.55],
    [-77.86, -5.42],
]

#: The buffer zone around it, where the member families farm; the forest is its hole.
BUFFER = [
    [-77.98, -5.40],
    [-77.82, -5.20],
    [-77.55, -5.16],
    [-77.30, -5.22],
    [-77.12, -5.42],
    [-77.14, -5.70],
    [-77.26, -5.86],
    [-77.48, -5.88],
    [-77.70, -5.80],
    [-77.92, -5.62],
    [-77.98, -5.40],
]


def load_demo_areas(session: Session, org_id: int) -> None:
    for name, kind, rings in (
        ("Bosque de Protección Alto Mayo", "protected_area", [FOREST]),
        ("Zona de amortiguamiento del BPAM", "buffer_zone", [BUFFER, FOREST[::-1]]),
    ):
        create_area(
            session,
            org_id,
            None,
            {
                "name": name,
                "kind": kind,
                "geometry": {"type": "Polygon", "coordinates": rings},
                "approximate": True,
                "source": SOURCE,
            },
        )
