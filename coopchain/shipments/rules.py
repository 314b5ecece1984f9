"""Export identifiers, checked exactly (DOMAIN.md §3 and §6). Pure functions."""

import re
import string

#: Incoterms 2020 rules.
INCOTERMS = ("EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP")

#: ISO 6346: owner code (3 letters), category U/J/Z, 6-digit serial, check digit.
CONTAINER_PATTERN = re.compile(r"^[A-Z]{3}[UJZ]\d{7}$")
#: USDA NOP Import Certificate number: NNN-NNNNNNNNNN-NNNNNN (DOMAIN.md §3).
NOP_PATTERN = re.compile(r"^\d{3}-\d{10}-\d{6}$")
#: ICO marks: country / exporter / serial, digits (DOMAIN.md §6).
ICO_PATTERN = re.compile(r"^\d{1,3}/\d{1,4}/\d{1,4}$")
#: Harmonized System code: 4 to 10 digits, dots allowed between groups (0901.11, 081090).
HS_PATTERN = re.compile(r"^\d{4}(\.?\d{2}){0,3}$")
#: Peru's taxpayer number (RUC): 11 digits (shape only; the check digit is not verified).
RUC_PATTERN = re.compile(r"^\d{11}$")
#: The HS code a shipment gets when none is typed, by crop and product form (DOMAIN.md §2:
#: green coffee 0901.11; §5: pitahaya CN 0810 90).
DEFAULT_HS_CODES = {
    ("coffee", "green"): "0901.11",
    ("coffee", "dry_parchment"): "0901.11",
    ("pitahaya", "fresh_fruit"): "0810.90",
}
#: ISO 3166-1 alpha-2, shape only.
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")


def _letter_values() -> dict[str, int]:
    """ISO 6346: A=10, B=12, … counting up but skipping multiples of 11 (11, 22, 33)."""
    values, value = {}, 10
    for letter in string.ascii_uppercase:
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


LETTER_VALUES = _letter_values()


def normalise_container(number: str) -> str:
    """Upper case, without the spaces and dashes people type ("CSQU 305438-3")."""
    return re.sub(r"[\s-]", "", number or "").upper()


def iso6346_check_digit(first_ten: str) -> int:
    """Σ value·2^i over the first ten characters, mod 11, then mod 10 (DOMAIN.md §6)."""
    total = sum(
        (LETTER_VALUES[c] if c.isalpha() else int(c)) * 2**i for i, c in enumerate(first_ten)
    )
    return total % 11 % 10


def container_number_error(number: str) -> str | None:
    """None when `number` (normalised) is a valid ISO 6346 container number; else why not."""
    if not CONTAINER_PATTERN.match(number):
        return "format"
    if iso6346_check_digit(number[:10]) != int(number[10]):
        return "check_digit"
    return None


def default_hs_code(crop: str, forms) -> str | None:
    """The HS code of a shipment of `crop` in `forms` when they all share one; else None."""
    codes = {DEFAULT_HS_CODES.get((crop, form)) for form in forms}
    if not codes and crop == "coffee":
        return DEFAULT_HS_CODES[("coffee", "green")]
    return codes.pop() if len(codes) == 1 else None


def ico_marks_per_lot(first_mark: str | None, count: int) -> list[str | None]:
    """One ICO mark per lot, in packing-list order: the shipment's mark for the first lot and
    the following serials for the next ones (DOMAIN.md §6: country/exporter/serial, the serial
    numbering the exporter's lots of the coffee year). No mark given: none for any lot."""
    if not first_mark or not ICO_PATTERN.match(first_mark):
        return [None] * count
    country, exporter, serial = first_mark.split("/")
    width = len(serial)
    return [f"{country}/{exporter}/{int(serial) + i:0{width}d}" for i in range(count)]
