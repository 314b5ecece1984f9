"""GS1 identifiers on the public trace QR codes (DOMAIN.md §6): GTIN check digits, the
character set of AI values, and GS1 Digital Link URLs. Pure functions from strings to strings.

Standards cited:
- GS1 General Specifications (GenSpecs) §7.9 "Check digit calculation" (standard mod 10) and
  §7.11 "GS1 AI encodable character set 82" (Figure 7.11-1); AI (10) batch/lot and AI (21)
  serial number are both X..20: 1 to 20 characters of that set.
- GS1 Digital Link Standard: URI Syntax, release 1.2 (ratified Jan 2021), its ABNF grammar:
  `gtin-path = gtin-comp [cpv-comp] [lot-comp] [ser-comp]`, `lot-value = ser-value = 1*20XCHAR`,
  where XCHAR lets only letters, digits, "-", "." and "_" stand as they are and requires every
  other character of the 82 set to be percent-encoded; non-GS1 query parameters are allowed
  (`extensionParameter`: any key that is not all digits).
"""

import re
import string
from urllib.parse import quote, unquote

from flask_babel import gettext as _


class GS1Error(ValueError):
    """A GTIN or AI value GS1 would refuse; the message says which value and why."""


#: GenSpecs §7.11, Figure 7.11-1: the 82 characters allowed in alphanumeric AI values such as
#: (10) lot and (21) serial. Not in it: space, "#", "$", "@", "[", "\", "]", "^", "`", "{",
#: "|", "}", "~" and anything outside ASCII (accented letters included).
AI_CHARSET_82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
assert len(AI_CHARSET_82) == 82  # a typo in the set above must not pass silently

#: AI (10) and AI (21) are X..20 (GenSpecs §3.2; GS1 Digital Link 1.2 `lot-value`/`ser-value`).
MAX_AI_VALUE_LENGTH = 20

#: GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN-13) and GTIN-14; all written as 14 digits here.
GTIN_LENGTHS = (8, 12, 13, 14)

#: Characters a person types between digit groups ("4 006381 33393 1", "7501-0311...").
_GTIN_SEPARATORS = re.compile(r"[\s-]")
#: ASCII digits only: str.isdigit() would also accept "²" or Arabic-Indic digits.
_ASCII_DIGITS = re.compile(r"[0-9]+")

#: The path a Digital Link of ours has, exactly in the order digital_link() writes it
#: (GS1 DL 1.2 fixes the order: GTIN, then lot, then serial). Segments are still
#: percent-encoded here, so an encoded "/" (%2F) inside a lot cannot split a segment.
_DIGITAL_LINK_PATH = re.compile(r"/01/([0-9]+)/10/([^/]+)(?:/21/([^/]+))?/?")

#: What stands unencoded in a path segment: RFC 3986 "unreserved". Of these, GS1's XCHAR keeps
#: letters, digits, "-", "." and "_"; "~" is not in the 82 set, so it never reaches the encoder.
_UNRESERVED = "-._~"


def _shown(char: str) -> str:
    """A character as a message can show it: a space or a control character is invisible."""
    if char == " ":
        return _("a space")
    if not char.isprintable() or char.isspace():
        return f"U+{ord(char):04X}"
    return f"“{char}”"


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit of `body` (every digit of the GTIN but the last), GenSpecs §7.9:
    weights 3, 1, 3, 1, … from the rightmost digit of the body, then the amount that brings the
    weighted sum up to a multiple of 10. The same rule serves GTIN-8, -12, -13 and -14, which is
    why left-padding with zeros never changes a check digit."""
    if not _ASCII_DIGITS.fullmatch(body):
        raise GS1Error(_("A GTIN check digit is computed from digits only."))
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalise_gtin(value: str) -> str:
    """`value` as the 14-digit GTIN a Digital Link carries: spaces and dashes removed, GTIN-8,
    -12 and -13 left-padded with zeros (GenSpecs: a GTIN in a 14-digit field is right-justified
    and zero-filled), the check digit verified. Raises GS1Error saying what is wrong, and for a
    wrong check digit which digit it should be, so a typo can be found on the packaging."""
    digits = _GTIN_SEPARATORS.sub("", value or "")
    if not digits:
        raise GS1Error(_("GTIN is empty."))
    if not _ASCII_DIGITS.fullmatch(digits):
        bad = next(char for char in digits if char not in string.digits)
        raise GS1Error(_("GTIN contains %(char)s: a GTIN has digits only.", char=_shown(bad)))
    if len(digits) not in GTIN_LENGTHS:
        raise GS1Error(
            _("GTIN has %(count)d digits; a GTIN has 8, 12, 13 or 14.", count=len(digits))
        )
    gtin14 = digits.zfill(14)
    expected = gtin_check_digit(gtin14[:-1])
    if int(gtin14[-1]) != expected:
        raise GS1Error(
            _(
                "GTIN check digit should be %(expected)d, not %(found)d.",
                expected=expected,
                found=int(gtin14[-1]),
            )
        )
    return gtin14


def check_ai_value(value: str, what: str) -> None:
    """Raise GS1Error unless `value` can be an AI (10) lot or AI (21) serial: 1 to 20
    characters of the GS1 82-character set (GenSpecs §7.11). `what` names the value in the
    message (e.g. "Lot code"), together with the first character GS1 does not allow."""
    if not value:
        raise GS1Error(_("%(what)s is empty; GS1 needs 1 to 20 characters.", what=what))
    bad = next((char for char in value if char not in AI_CHARSET_82), None)
    if bad is not None:
        raise GS1Error(
            _(
                "%(what)s contains %(char)s, which GS1 does not allow (letters A-Z and a-z, "
                "digits and ! \" %% & ' ( ) * + , - . / : ; < = > ? _ only).",
                what=what,
                char=_shown(bad),
            )
        )
    if len(value) > MAX_AI_VALUE_LENGTH:
        raise GS1Error(
            _(
                "%(what)s has %(count)d characters; GS1 allows at most 20.",
                what=what,
                count=len(value),
            )
        )


def _encode_segment(value: str) -> str:
    """Percent-encode an AI value for a path segment, as GS1 DL 1.2 requires: everything but
    letters, digits, "-", "." and "_" (so "/" cannot split the segment, "%" cannot start an
    escape, "?" cannot start the query). Upper-case hex, as RFC 3986 §2.1 recommends."""
    return quote(value, safe=_UNRESERVED)


def digital_link(
    base_url: str, gtin: str, lot: str, serial: str | None = None, *, key: str | None = None
) -> str:
    """The GS1 Digital Link URL for a lot, or a bag of it when `serial` is given (DOMAIN.md §6):
    {base}/01/{GTIN-14}/10/{lot}[/21/{serial}][?k={key}].

    `base_url` is the public address (scheme, host and optionally a path prefix; a trailing
    slash is ignored). `gtin` may be a GTIN-8/12/13/14 and is written as 14 digits; lot and
    serial are checked against GS1's rules (GS1Error otherwise) and percent-encoded. None means
    "no serial"; an empty serial is an error, not silently left out.

    `key` is the page's unguessable token, carried as the non-GS1 query parameter "k" (GS1 DL
    1.2 allows extra query parameters whose keys are not all digits; GS1 resolvers ignore
    them). Lot codes and bag serials are sequential, so a resolver that opened pages by them
    alone would let anyone enumerate every bag of the cooperative by counting; the token keeps
    pages unguessable while the path stays a valid Digital Link that a GS1-aware scanner
    understands (GTIN, lot and serial)."""
    gtin14 = normalise_gtin(gtin)
    check_ai_value(lot, _("Lot code"))
    url = f"{base_url.rstrip('/')}/01/{gtin14}/10/{_encode_segment(lot)}"
    if serial is not None:
        check_ai_value(serial, _("Serial"))
        url += f"/21/{_encode_segment(serial)}"
    if key:
        url += f"?k={quote(key, safe=_UNRESERVED)}"
    return url


def _decode_segment(segment: str) -> str | None:
    """A path segment's AI value, or None when it is not one GS1 allows (bad UTF-8, outside the
    82 set, too long)."""
    try:
        value = unquote(segment, errors="strict")
        check_ai_value(value, "")
    except (UnicodeDecodeError, GS1Error):
        return None
    return value


def parse_digital_link(path: str, query_k: str | None) -> dict | None:
    """The GTIN, lot and serial of a Digital Link path of the shape digital_link() writes:
    "/01/<gtin>/10/<lot>[/21/<serial>]", an optional trailing slash, nothing before or after.

    `path` must be the path as it arrived, still percent-encoded (e.g. WSGI "RAW_URI" without
    its query string): a server that decodes first turns a lot's "%2F" into "/" and the
    segments can no longer be told apart. `query_k` is the "k" query parameter, returned as
    "key" (None when absent or empty).

    Returns {"gtin": 14 digits, "lot": ..., "serial": ... or None, "key": ...}, or None when
    the path is not such a link, the GTIN's check digit is wrong, or a value is not a valid
    GS1 lot/serial. GTIN-8/12/13 in the path are accepted (GS1 DL 1.2 `gtin-value`) and
    returned as 14 digits."""
    match = _DIGITAL_LINK_PATH.fullmatch(path or "")
    if match is None:
        return None
    raw_gtin, raw_lot, raw_serial = match.groups()
    try:
        gtin14 = normalise_gtin(raw_gtin)
    except GS1Error:
        return None
    lot = _decode_segment(raw_lot)
    serial = _decode_segment(raw_serial) if raw_serial is not None else None
    if lot is None or (raw_serial is not None and serial is None):
        return None
    return {"gtin": gtin14, "lot": lot, "serial": serial, "key": query_k or None}
