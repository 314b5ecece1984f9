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
