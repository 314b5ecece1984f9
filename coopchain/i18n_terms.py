"""Strings that reach the UI dynamically, marked here so `pybabel extract` sees them.

Templates translate some values at render time with `_(value)`: enum values (roles, statuses,
crops, ...) and marshmallow validation messages (`_(message)` in templates/_macros.html).
Extraction cannot see those msgids because they are never literals inside a `_()` call, so they
are listed here with `lazy_gettext`. Nothing imports this module at runtime; it exists only for
extraction (scripts/i18n.sh). Keep msgids byte-identical to what the code produces.
"""

from flask_babel import lazy_gettext as _l

# Enum values rendered with _(value) -------------------------------------------------------------

ROLES = (_l("admin"), _l("staff"), _l("quality"), _l("auditor"), _l("treasurer"))
PRODUCER_STATUSES = (_l("active"), _l("inactive"), _l("withdrawn"))
SEXES = (_l("female"), _l("male"), _l("other"))
CROPS = (_l("coffee"), _l("pitahaya"))
AGREEMENT_KINDS = (_l("individual"), _l("collective"))
AGREEMENT_STATUSES = (_l("active"), _l("suspended"), _l("ended"))
VISIT_RESULTS = (_l("compliant"), _l("minor"), _l("major"))
COMMITMENTS = (
    _l("no_clearing"),
    _l("no_hunting"),
    _l("no_pollution"),
    _l("organic_practices"),
    _l("patrols"),
    _l("restoration"),
)
#: ics/models.py InspectionResult and Sanction.
INSPECTION_RESULTS = (_l("compliant"), _l("minor_nonconformity"), _l("major_nonconformity"))
SANCTIONS = (_l("none"), _l("warning"), _l("suspension"), _l("exclusion"))
ORGANIC_STATUSES = (_l("organic"), _l("in_conversion"), _l("conventional"))
#: certs/claims.py OrganicClaim (the other two are the organic statuses above).
ORGANIC_CLAIMS = (_l("certified_organic"), _l("organic_not_certified"))
ISSUE_SEVERITIES = (_l("error"), _l("warning"))
PRODUCT_FORMS = (
    _l("cherry"),
    _l("wet_parchment"),
    _l("dry_parchment"),
    _l("green"),
    _l("fresh_fruit"),
)
LOT_STATUSES = (_l("available"), _l("depleted"), _l("voided"))
TRANSFORMATION_KINDS = (_l("merge"), _l("split"), _l("process"), _l("sample"))
MASS_BALANCE_FLAGS = (_l("mass_over"), _l("mass_no_area"), _l("mass_no_yield"))
CUPPING_PROTOCOLS = (_l("sca_2004"), _l("cva_2024"))
CUPPING_SESSION_STATUSES = (_l("open"), _l("closed"))
CUP_CLASSIFICATIONS = (
    _l("below_specialty"),
    _l("very_good"),
    _l("excellent"),
    _l("outstanding"),
)
GREEN_GRADES = (
    _l("specialty"),
    _l("premium"),
    _l("exchange"),
    _l("below_standard"),
    _l("off_grade"),
)
FOREST_RESULTS = (
    _l("deforestation_free"),
    _l("loss_after_cutoff"),
    _l("more_info_needed"),
    _l("no_data"),
    _l("missing"),
)
EVIDENCE_KINDS = (_l("manual"), _l("field"), _l("whisp"), _l("raster"))
FOREST_DATASET_KINDS = (_l("hansen_lossyear"), _l("hansen_treecover2000"), _l("jrc_gfc2020"))
ASSESSMENT_STATUSES = (_l("running"), _l("finished"), _l("failed"))
#: Jobs (coopchain/jobs.py): statuses and the registered task names shown as the job's kind.
JOB_STATUSES = (_l("queued"),)
JOB_KINDS = (
    _l("forest.assessment"),
    _l("payments.run"),
    _l("labels.sheet"),
    _l("import.registry"),
    _l("import.deliveries"),
    _l("certificate.issue"),
    _l("eudr.package"),
    _l("eudr.dds"),
    _l("eudr.file"),
    _l("eudr.amend"),
    _l("import.plots"),
    _l("shipment.bundle"),
)
SHIPMENT_STATUSES = (_l("planned"), _l("loading"), _l("shipped"), _l("delivered"))
CERTIFICATE_STATUSES = (_l("valid"), _l("revoked"))
FINDING_SEVERITIES = (_l("blocking"), _l("warning"))
CODEX_CLASSES = (_l("extra"), _l("class_i"), _l("class_ii"))
PITAHAYA_DEFECTS = (
    _l("bruising"),
    _l("skin_blemish"),
    _l("thorns"),
    _l("stem_length"),
    _l("pest_damage"),
    _l("shape"),
    _l("rot"),
)

# marshmallow 4 default error messages (fields.py / schema.py default_error_messages) ----------
# Decimal fields report "Not a valid number." (marshmallow 4 has no "Not a valid decimal.").

MARSHMALLOW_FIELD_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Invalid value."),
    _l("Invalid type."),
    _l("Invalid input type."),
    _l("Unknown field."),
    _l("Not a valid string."),
    _l("Not a valid utf-8 string."),
    _l("Not a valid integer."),
    _l("Not a valid number."),
    _l("Number too large."),
    _l("Special numeric values (nan or infinity) are not permitted."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid list."),
    _l("Not a valid mapping type."),
    _l("String does not match expected pattern."),
)

# marshmallow validators, exactly as formatted for the bounds and choices our schemas use
# (coopchain/farms/schemas.py, coopchain/farms/registry_xlsx.py). A new bound or choice list
# there produces a new sentence: add it here too.

LENGTH_MESSAGES = (
    _l("Shorter than minimum length 1."),
    _l("Length must be between 1 and 32."),
    _l("Length must be between 1 and 40."),
    _l("Length must be between 1 and 100."),
    _l("Length must be between 1 and 120."),
    _l("Longer than maximum length 32."),
    _l("Longer than maximum length 60."),
    _l("Longer than maximum length 120."),
    _l("Longer than maximum length 200."),
    _l("Longer than maximum length 500."),
    _l("Longer than maximum length 2000."),
)
RANGE_MESSAGES = (
    _l("Must be greater than 0 and less than or equal to 10000."),
    _l("Must be greater than or equal to 0 and less than or equal to 6500."),
    _l("Must be greater than or equal to 0 and less than or equal to 100000."),
    _l("Must be greater than or equal to 1900 and less than or equal to 2100."),
    _l("Must be greater than or equal to -180 and less than or equal to 180."),
    _l("Must be greater than or equal to -90 and less than or equal to 90."),
)
ONE_OF_MESSAGES = (
    _l("Must be one of: female, male, other."),
    _l("Must be one of: active, inactive, withdrawn."),
    _l("Must be one of: individual, collective."),
    _l("Must be one of: active, suspended, ended."),
    _l("Must be one of: compliant, minor, major."),
    _l("Must be one of: coffee, pitahaya."),
    _l(
        "Must be one of: no_clearing, no_hunting, no_pollution, organic_practices, patrols, "
        "restoration."
    ),
)

# Our own schema messages (coopchain/farms/schemas.py) -----------------------------------------

SCHEMA_MESSAGES = (
    _l("Letters, digits and . _ / - only."),
    _l("Cannot be in the future."),
    _l("Give a GeoJSON object or its text."),
)

# Paying producers (coopchain/payments/models.py) ----------------------------------------------

PAYMENT_METHODS = (_l("cash"), _l("bank_transfer"), _l("yape"), _l("plin"))
ALLOCATION_KINDS = (
    _l("advance"),
    _l("balance"),
    _l("settlement"),
    _l("premium"),
    _l("deduction"),
)

# Premium rules, member debts and the premium fund (coopchain/payments/models.py) --------------

PREMIUM_KINDS = (
    _l("organic"),
    _l("quality"),
    _l("sustainability_differential"),
    _l("womens"),
    _l("retention"),
)
DEBT_KINDS = (_l("loan"), _l("input_credit"))
FUND_ENTRY_KINDS = (_l("income"), _l("use"))

#: certs/signing.py KeyMaterialError messages, shown under the upload field (certs/keys.py).
KEY_UPLOAD_PROBLEMS = (
    _l("not a PEM or PKCS#12 file, or the password is wrong"),
    _l("the PKCS#12 file holds no private key and certificate"),
    _l("the PEM file holds no certificate"),
    _l("the private key cannot be read: wrong password?"),
    _l("the PEM file holds no private key"),
    _l("no certificate in the file belongs to the private key"),
    _l("only RSA and elliptic-curve keys can sign PDFs here"),
    _l("the certificate does not belong to the private key"),
    _l("the stored key cannot be decrypted with this SECRET_KEY"),
)
