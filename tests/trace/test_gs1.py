"""GS1 identifiers on the QR codes (DOMAIN.md §6): a GTIN an admin types is checked as a
scanner would check it, lot codes and serials must be values GS1 accepts, and the Digital Link
URL is exactly what a GS1-aware scanner expects and what our resolver parses back."""

import pytest
from flask_babel import force_locale

from coopchain.trace.gs1 import (
    AI_CHARSET_82,
    GS1Error,
    check_ai_value,
    digital_link,
    gtin_check_digit,
    normalise_gtin,
    parse_digital_link,
)

BASE = "https://trace.coopam.pe"
#: The GTIN-14 GS1 uses in its own examples (GS1 Digital Link standard, GenSpecs).
GS1_EXAMPLE_GTIN = "09506000134352"


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the trace tests run in an app context, whose default
    locale is Spanish)."""
    with force_locale("en"):
        yield


class TestGtin:
    @pytest.mark.parametrize(
        ("typed", "gtin14"),
        [
            (GS1_EXAMPLE_GTIN, GS1_EXAMPLE_GTIN),  # GTIN-14
            ("4006381333931", "04006381333931"),  # EAN-13 (GTIN-13)
            ("036000291452", "00036000291452"),  # UPC-A (GTIN-12)
            ("96385074", "00000096385074"),  # EAN-8 (GTIN-8)
            ("4 006381 333931", "04006381333931"),  # as printed under the bars
            ("0950-6000-1343-52", GS1_EXAMPLE_GTIN),
            (" 09506000134352\n", GS1_EXAMPLE_GTIN),
        ],
    )
    def test_valid_gtins_become_14_digits(self, typed, gtin14):
        assert normalise_gtin(typed) == gtin14

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("09506000134353", "GTIN check digit should be 2, not 3"),
            ("4006381333932", "GTIN check digit should be 1, not 2"),
            ("96385070", "GTIN check digit should be 4, not 0"),
            # Two digits swapped: the 3-1 weights catch it.
            ("09506000143352", "GTIN check digit should be 4, not 2"),
        ],
    )
    def test_a_wrong_check_digit_names_the_right_one(self, typed, message):
        with pytest.raises(GS1Error, match=message):
            normalise_gtin(typed)

    @pytest.mark.parametrize(
        ("typed", "shown"),
        [
            ("0950600013435X", "“X”"),
            ("O9506000134352", "“O”"),  # letter O for zero
            ("09506000134.352", "“.”"),
            ("０９５０６０００１３４３５２", "“０”"),  # full-width digits are not ASCII digits
        ],
    )
    def test_anything_but_digits_is_refused_and_named(self, typed, shown):
        with pytest.raises(GS1Error, match="digits only") as error:
            normalise_gtin(typed)
        assert shown in str(error.value)

    @pytest.mark.parametrize("length", [7, 9, 10, 11, 15, 18])
    def test_only_gtin_lengths_are_accepted(self, length):
        body = ("9506000134352" * 2)[: length - 1]
        with pytest.raises(GS1Error, match=f"GTIN has {length} digits; a GTIN has 8, 12, 13 or"):
            normalise_gtin(body + str(gtin_check_digit(body)))

    @pytest.mark.parametrize("typed", ["", "   ", " - ", None])
    def test_an_empty_gtin_is_refused(self, typed):
        with pytest.raises(GS1Error, match="GTIN is empty"):
            normalise_gtin(typed)

    def test_check_digit_weights_3_1_from_the_right(self):
        assert gtin_check_digit("0950600013435") == 2
        assert gtin_check_digit("400638133393") == 1
        # Left-padding to 14 digits never changes the check digit: GTIN-8 in a 14-digit field.
        assert gtin_check_digit("9638507") == gtin_check_digit("0000009638507") == 4
        assert gtin_check_digit("0000000000000") == 0

    def test_check_digit_of_non_digits_is_refused(self):
        with pytest.raises(GS1Error):
            gtin_check_digit("09506A0013435")


class TestAiValue:
    @pytest.mark.parametrize(
        "value",
        [
            "CAF-2026-000123",  # a lot code
            "PE-COOP-2026-000001",  # a bag serial of a 4-letter organisation code
            "PE-COOPA-2026-000001",  # 20 characters: the most GS1 allows
            "L",
            "lot_7.b/2",
        ],
    )
    def test_lot_codes_and_serials_gs1_allows(self, value):
        check_ai_value(value, "Lot code")

    def test_every_character_of_the_82_set_is_allowed(self):
        chars = "".join(sorted(AI_CHARSET_82))
        assert len(chars) == 82
        for start in range(0, 82, 20):
            check_ai_value(chars[start : start + 20], "Serial")

    def test_21_characters_are_refused(self):
        # The serial rules.bag_serial makes for COOPAM: one character too long for AI (21).
        with pytest.raises(GS1Error, match="Serial has 21 characters; GS1 allows at most 20"):
            check_ai_value("PE-COOPAM-2026-000001", "Serial")

    def test_empty_is_refused(self):
        with pytest.raises(GS1Error, match="Lot code is empty"):
            check_ai_value("", "Lot code")

    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            ("café", "“é”"),
            ("CAFÉ-2026", "“É”"),
            ("CAF 2026", "a space"),
            ("CAF\t2026", "U+0009"),
            ("LOT#7", "“#”"),  # in GS1's 39 set, not the 82 set
            ("LOT~7", "“~”"),
            ("A B#", "a space"),  # the first bad character is the one named
        ],
    )
    def test_characters_outside_the_82_set_are_refused_and_named(self, value, shown):
        with pytest.raises(GS1Error, match="^Lot code contains ") as error:
            check_ai_value(value, "Lot code")
        assert f"contains {shown}, which GS1 does not allow" in str(error.value)


class TestDigitalLink:
    def test_lot_link(self):
        assert (
            digital_link(BASE, GS1_EXAMPLE_GTIN, "CAF-2026-000123")
            == "https://trace.coopam.pe/01/09506000134352/10/CAF-2026-000123"
        )

    def test_bag_link_with_its_page_key(self):
        assert (
            digital_link(
                BASE, GS1_EXAMPLE_GTIN, "CAF-2026-000123", "PE-COOP-2026-000001", key="q3_Z-9aB"
            )
            == "https://trace.coopam.pe/01/09506000134352/10/CAF-2026-000123"
            "/21/PE-COOP-2026-000001?k=q3_Z-9aB"
        )

    def test_lot_link_with_key(self):
        assert (
            digital_link(BASE, GS1_EXAMPLE_GTIN, "L1", key="abc")
            == "https://trace.coopam.pe/01/09506000134352/10/L1?k=abc"
        )

    def test_a_shorter_gtin_is_written_as_14_digits(self):
        assert (
            digital_link(BASE, "4006381333931", "L1")
            == "https://trace.coopam.pe/01/04006381333931/10/L1"
        )

    @pytest.mark.parametrize(
        "base", ["https://coopam.pe/trazabilidad", "https://coopam.pe/trazabilidad/"]
    )
    def test_a_base_with_a_path_prefix(self, base):
        assert (
            digital_link(base, GS1_EXAMPLE_GTIN, "L1", "S1")
            == "https://coopam.pe/trazabilidad/01/09506000134352/10/L1/21/S1"
        )

    @pytest.mark.parametrize(
        ("lot", "encoded"),
        [
            ("A/B", "A%2FB"),
            ("100%", "100%25"),
            ("R&D+1", "R%26D%2B1"),
            ("x?y=z", "x%3Fy%3Dz"),
            ('"q"', "%22q%22"),
            ("a;b:c,d", "a%3Bb%3Ac%2Cd"),
            ("<!'()*>", "%3C%21%27%28%29%2A%3E"),
            ("a-b.c_d", "a-b.c_d"),  # what GS1 leaves as is
        ],
    )
    def test_symbols_are_percent_encoded(self, lot, encoded):
        url = digital_link(BASE, GS1_EXAMPLE_GTIN, lot, lot)
        assert url == f"{BASE}/01/{GS1_EXAMPLE_GTIN}/10/{encoded}/21/{encoded}"

    def test_a_bad_gtin_is_refused(self):
        with pytest.raises(GS1Error, match="GTIN check digit should be 2, not 3"):
            digital_link(BASE, "09506000134353", "L1")

    def test_a_lot_gs1_does_not_allow_is_refused(self):
        with pytest.raises(GS1Error, match="^Lot code contains a space"):
            digital_link(BASE, GS1_EXAMPLE_GTIN, "CAF 2026")

    @pytest.mark.parametrize(
        ("serial", "message"),
        [("PE-COOPAM-2026-000001", "^Serial has 21 characters"), ("", "^Serial is empty")],
    )
    def test_a_serial_gs1_does_not_allow_is_refused(self, serial, message):
        with pytest.raises(GS1Error, match=message):
            digital_link(BASE, GS1_EXAMPLE_GTIN, "L1", serial)


def _path_of(url: str) -> tuple[str, str | None]:
    """The raw path and the k parameter of a URL digital_link() wrote, as a server sees them."""
    rest = url.removeprefix(BASE)
    path, _sep, query = rest.partition("?")
    return path, query.removeprefix("k=") or None


class TestParseDigitalLink:
    @pytest.mark.parametrize(
        "value",
        [
            "CAF-2026-000123",
            "A/B",
            "100%",
            "%2F",  # looks like an escape: must come back as these three characters
            "R&D+1",
            "x?y=z",
            '"q"',
            "a;b:c,d",
            "<!'()*>",
            "a-b.c_d",
        ],
    )
    @pytest.mark.parametrize("key", [None, "q3_Z-9aB"])
    def test_round_trip(self, value, key):
        with_serial = digital_link(BASE, GS1_EXAMPLE_GTIN, value, value, key=key)
        assert parse_digital_link(*_path_of(with_serial)) == {
            "gtin": GS1_EXAMPLE_GTIN,
            "lot": value,
            "serial": value,
            "key": key,
        }
        lot_only = digital_link(BASE, GS1_EXAMPLE_GTIN, value, key=key)
        assert parse_digital_link(*_path_of(lot_only)) == {
            "gtin": GS1_EXAMPLE_GTIN,
            "lot": value,
            "serial": None,
            "key": key,
        }

    def test_trailing_slash_and_shorter_gtin_and_lower_case_escapes(self):
        assert parse_digital_link("/01/4006381333931/10/a%2fb/21/S1/", "k1") == {
            "gtin": "04006381333931",
            "lot": "a/b",
            "serial": "S1",
            "key": "k1",
        }

    def test_an_empty_key_is_no_key(self):
        assert parse_digital_link("/01/09506000134352/10/L1", "")["key"] is None

    @pytest.mark.parametrize(
        "path",
        [
            "",
            "/",
            "/01/09506000134353/10/L1",  # wrong check digit
            "/01/0950600013435X/10/L1",
            "/01/0950600013/10/L1",  # 10 digits
            "/01/09506000134352",  # no lot
            "/01/09506000134352/",
            "/01/09506000134352/10/",  # empty lot
            "/01/09506000134352/10/L1/21/",  # empty serial
            "/01/09506000134352/21/S1",  # serial without lot
            "/01/09506000134352/21/S1/10/L1",  # not the order GS1 fixes
            "/01/09506000134352/10/L1/21/S1/extra",
            "/01/09506000134352/10/L1//",
            "/01/09506000134352/22/V1/10/L1",  # consumer product variant: not ours
            "/prefix/01/09506000134352/10/L1",
            "01/09506000134352/10/L1",
            "/b/09506000134352",
            "/01/09506000134352/10/A%20B",  # space: not in the 82 set
            "/01/09506000134352/10/caf%C3%A9",  # é
            "/01/09506000134352/10/%C3",  # not UTF-8
            "/01/09506000134352/10/" + "A" * 21,
            "/01/09506000134352/10/L1/21/" + "S" * 21,
            # A path decoded before parsing: lot "A/B" has become two segments.
            "/01/09506000134352/10/A/B",
        ],
    )
    def test_other_paths_are_not_digital_links(self, path):
        assert parse_digital_link(path, "key") is None
