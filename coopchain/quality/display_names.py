"""Words for the quality codes, shared by the pages, the PDF report and the spreadsheets."""

from flask_babel import lazy_gettext as _l

from coopchain.quality import rules

PROTOCOL_LABELS = {
    rules.Protocol.SCA_2004: _l("SCA cupping form (2004)"),
    rules.Protocol.CVA_2024: _l("SCA Coffee Value Assessment (2024), affective"),
}
PROTOCOL_SHORT_LABELS = {
    rules.Protocol.SCA_2004: _l("SCA 2004"),
    rules.Protocol.CVA_2024: _l("CVA 2024 (affective)"),
}
CLASSIFICATION_LABELS = {
    rules.Classification.OUTSTANDING: _l("Outstanding"),
    rules.Classification.EXCELLENT: _l("Excellent"),
    rules.Classification.VERY_GOOD: _l("Very good"),
    rules.Classification.BELOW_SPECIALTY: _l("Below specialty"),
}
#: Score field → (column heading, full name).
FIELD_LABELS = {
    "fragrance_aroma": (_l("Fra/Aro"), _l("Fragrance/Aroma")),
    "fragrance": (_l("Frag."), _l("Fragrance")),
    "aroma": (_l("Aroma"), _l("Aroma")),
    "flavor": (_l("Flav."), _l("Flavor")),
    "aftertaste": (_l("Aftt."), _l("Aftertaste")),
    "acidity": (_l("Acid."), _l("Acidity")),
    "body": (_l("Body"), _l("Body")),
    "mouthfeel": (_l("Mouth."), _l("Mouthfeel")),
    "balance": (_l("Bal."), _l("Balance")),
    "sweetness": (_l("Sweet."), _l("Sweetness")),
    "overall": (_l("Over."), _l("Overall")),
    "uniformity": (_l("Unif."), _l("Uniformity (2 per cup)")),
    "clean_cup": (_l("Clean"), _l("Clean cup (2 per cup)")),
    "taint_cups": (_l("Taint"), _l("Cups with a taint (−2 each)")),
    "fault_cups": (_l("Fault"), _l("Cups with a fault (−4 each)")),
    "non_uniform_cups": (_l("Non-u."), _l("Non-uniform cups (−2 each)")),
    "defective_cups": (_l("Defec."), _l("Defective cups (−4 each)")),
}


def protocol_label(code, *, short: bool = False) -> str:
    labels = PROTOCOL_SHORT_LABELS if short else PROTOCOL_LABELS
    return str(labels.get(code, code))


def classification_label(code) -> str:
    return "—" if code is None else str(CLASSIFICATION_LABELS.get(code, code))


def field_heading(name: str) -> str:
    return str(FIELD_LABELS.get(name, (name, name))[0])


def field_name(name: str) -> str:
    return str(FIELD_LABELS.get(name, (name, name))[1])
