"""Fields named by their labels in a form's error summary, each message said once.

A form's summary sits above its fields, so it cannot learn their labels as they render; the
labels are read from the template's source instead (the `input('name', _("Label"), …)` calls of
_macros.html and the hand-built `<label>`s), once per template. A field whose message shows
under it is listed in the summary as a link to it, by label; a message with no place on the
page is shown in the summary, after its field's label. A raw field name never reaches people.
"""

import functools
import re

from flask import Flask, before_render_template, current_app, g, template_rendered
from flask_babel import gettext
from jinja2 import TemplateNotFound

_MACRO_CALL = re.compile(
    r"""\b(?:input|select|checkbox)\(\s*['"](\w+)['"]\s*,\s*_\(\s*"((?:[^"\\]|\\.)*)"\s*\)"""
)
_LABEL_BLOCK = re.compile(
    r"""\w+\.get\(\s*['"](\w+)['"]\s*\)[^>]*>\s*<span>\s*\{\{\s*_\(\s*"((?:[^"\\]|\\.)*)"\s*\)"""
)
_INLINE = re.compile(r"""field_errors\(\s*\w+\s*,\s*['"](\w+)['"]\s*\)""")
_INLINE_PREFIX = re.compile(r"""field_errors\(\s*\w+\s*,\s*['"](\w+)['"]\s*~""")
#: field_errors(errors, name) with a variable: every field of such a form shows its own message.
_INLINE_ANY = re.compile(r"""field_errors\(\s*\w+\s*,\s*[a-z_]+\s*\)""")
_INCLUDE = re.compile(r"""\{%-?\s*(?:include|extends)\s+["']([^"']+)["']""")


@functools.cache
def _fields_of(name: str) -> tuple[dict[str, str], frozenset[str], tuple[str, ...], bool]:
    """(labels by field, fields shown inline, inline name prefixes, all inline) of a template
    and the templates it includes."""
    env = current_app.jinja_env
    labels: dict[str, str] = {}
    inline: set[str] = set()
    prefixes: list[str] = []
    any_inline = False
    seen, pending = set(), [name]
    while pending:
        current = pending.pop()
        if current in seen or current == "_macros.html" or current == "base.html":
            continue
        seen.add(current)
        try:
            source = env.loader.get_source(env, current)[0]
        except TemplateNotFound:  # a name built at run time: it adds no labels
            continue
        for field, label in _MACRO_CALL.findall(source):  # the macros show their messages
            labels.setdefault(field, label)
            inline.add(field)
        for field, label in _LABEL_BLOCK.findall(source):  # a label; its message maybe not
            labels.setdefault(field, label)
        inline.update(_INLINE.findall(source))
        prefixes.extend(_INLINE_PREFIX.findall(source))
        any_inline = any_inline or bool(_INLINE_ANY.search(source))
        pending.extend(_INCLUDE.findall(source))
    return labels, frozenset(inline), tuple(prefixes), any_inline


def _current() -> tuple[dict[str, str], frozenset[str], tuple[str, ...], bool]:
    name = g.get("form_template")
    return _fields_of(name) if name else ({}, frozenset(), (), False)


def error_label(field: str) -> str:
    """The field's label in the reader's language ("Área declarada (ha)"); for a field without
    a written label, its name translated as a term, else made readable ("Kg CAF-2026-000001")."""
    labels = _current()[0]
    if field in labels:
        return gettext(labels[field])
    translated = gettext(field)
    if translated != field:
        return translated
    return field.replace("_", " ").strip().capitalize()


def error_inline(field: str) -> bool:
    """Whether the form shows this field's messages under it."""
    _labels, inline, prefixes, any_inline = _current()
    return any_inline or field in inline or field.startswith(prefixes)


def init_app(app: Flask) -> None:
    def remember(_sender, template, context, **_extra):
        # The page's own template (render_template), not a macro file it imports.
        if "form_template" not in g:
            g.form_template = template.name

    def forget(_sender, template, context, **_extra):
        if g.get("form_template") == template.name:
            g.pop("form_template", None)

    before_render_template.connect(remember, app, weak=False)
    template_rendered.connect(forget, app, weak=False)
    app.add_template_global(error_label)
    app.add_template_global(error_inline)
