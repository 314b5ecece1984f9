"""Translation catalogues: complete Spanish, intact placeholders, compilable (no app, no DB).

If a test here fails after you add or change a UI string, run `scripts/i18n.sh update` and
fill the empty msgstrs in coopchain/translations/es/LC_MESSAGES/messages.po.
"""

import gettext
import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "coopchain" / "translations"
LOCALES = ("es", "en")
HINT = (
    "Run scripts/i18n.sh update, then translate them in "
    "coopchain/translations/es/LC_MESSAGES/messages.po"
)

#: %(name)s-style placeholders, and every other printf directive (including %%, a literal %).
NAMED = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
OTHER = re.compile(r"%(?:[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%])?")


def _po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _strings(message) -> tuple[str, ...]:
    value = message.string
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _ids(message) -> tuple[str, ...]:
    value = message.id
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _others(text: str) -> list[str]:
    """Printf directives left once the named placeholders are removed (sorted, with repeats)."""
    return sorted(OTHER.findall(NAMED.sub("", text)))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A fresh extraction with the same settings as scripts/i18n.sh extract."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    command = [
        sys.executable,
        "-m",
        "babel.messages.frontend",
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--ignore-dirs",
        ".* __pycache__ node_modules tests",
        "-o",
        str(pot),
        ".",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stderr}"
    catalog = _read(pot)
    assert len(catalog) > 0, "extraction found no messages; is babel.cfg right?"
    return catalog


@pytest.fixture(scope="module")
def spanish():
    return _read(_po_path("es"), "es")


def test_every_extracted_string_has_a_spanish_translation(extracted, spanish):
    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = spanish.get(message.id, context=message.context)
        if (
            translated is None
            or translated.fuzzy
            or not all(s.strip() for s in _strings(translated))
        ):
            missing.append(message.id)
    listing = "\n".join(f"  {msgid!r}" for msgid in missing)
    assert not missing, f"{len(missing)} string(s) lack a Spanish translation. {HINT}:\n{listing}"


def test_spanish_translations_keep_the_placeholders(spanish):
    broken = []
    for message in spanish:
        if not message.id or not any(_strings(message)):
            continue
        ids = _ids(message)
        expected_names = set().union(*(NAMED.findall(msgid) for msgid in ids))
        for text in _strings(message):
            if not text:
                continue
            names = set(NAMED.findall(text))
            # Jinja's gettext always applies "%": a stray or lost % would break the page.
            if names != expected_names or _others(text) != _others(ids[-1]):
                broken.append(f"  {ids[0]!r}\n    -> {text!r}")
    assert not broken, "Placeholders differ between msgid and msgstr:\n" + "\n".join(broken)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_compiles(locale):
    catalog = _read(_po_path(locale), locale)
    assert not catalog.fuzzy, f"{locale}: the catalogue header is fuzzy; pybabel would skip it"
    problems = [
        f"  {message.id!r}: {'; '.join(str(error) for error in errors)}"
        for message, errors in catalog.check()
    ]
    assert not problems, f"{locale}/messages.po has errors:\n" + "\n".join(problems)

    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    for message in catalog:
        if message.id and isinstance(message.id, str) and not message.context and message.string:
            if not message.fuzzy:
                assert compiled.gettext(message.id) == message.string
