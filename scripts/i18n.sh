#!/usr/bin/env bash
# Translation catalogues for CoopChain (msgids are English; UI defaults to Spanish).
#
#   scripts/i18n.sh extract   # code + templates -> coopchain/translations/messages.pot
#   scripts/i18n.sh update    # extract, then merge into es/en .po (init if missing)
#   scripts/i18n.sh compile   # .po -> .mo (default); fails on catalogue errors
#
# Idempotent: re-running update keeps every existing translation; new msgids arrive
# with an empty msgstr (never fuzzy-guessed), removed ones become "#~" obsolete entries.
# Override the pybabel location with PYTHON_BIN=/path/to/bin.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYBABEL="${PYTHON_BIN:-.venv/bin}/pybabel"
TRANSLATIONS=coopchain/translations
POT="$TRANSLATIONS/messages.pot"
LOCALES=(es en)

if [[ ! -x "$PYBABEL" ]]; then
    echo "i18n.sh: $PYBABEL not found (set PYTHON_BIN to the directory holding pybabel)" >&2
    exit 1
fi

extract() {
    mkdir -p "$TRANSLATIONS"
    # babel.cfg only maps coopchain/**.py and coopchain/templates/**.html; the ignore list keeps
    # the walk out of .venv, .git, caches and tests.
    "$PYBABEL" extract \
        -F babel.cfg \
        -k _l -k lazy_gettext -k _ln:1,2 -k lazy_ngettext:1,2 \
        --ignore-dirs '.* __pycache__ node_modules tests' \
        --project CoopChain \
        --copyright-holder 'CoopChain contributors' \
        --sort-by-file \
        -o "$POT" \
        .
}

update() {
    extract
    local locale po
    for locale in "${LOCALES[@]}"; do
        po="$TRANSLATIONS/$locale/LC_MESSAGES/messages.po"
        if [[ -f "$po" ]]; then
            # --ignore-pot-creation-date: an update with no new strings leaves the .po untouched.
            "$PYBABEL" update -i "$POT" -d "$TRANSLATIONS" -l "$locale" \
                --no-fuzzy-matching --ignore-pot-creation-date
        else
            "$PYBABEL" init -i "$POT" -d "$TRANSLATIONS" -l "$locale"
        fi
    done
}

compile() {
    # pybabel compile exits non-zero when a catalogue has errors (e.g. broken placeholders).
    "$PYBABEL" compile -d "$TRANSLATIONS" --statistics
}

case "${1:-compile}" in
    extract) extract ;;
    update) update ;;
    compile) compile ;;
    -h | --help | help) sed -n '2,10p' "$0" ;;
    *)
        echo "usage: $0 [extract|update|compile]" >&2
        exit 2
        ;;
esac
