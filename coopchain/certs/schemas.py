"""Input (load) and output (dump) schemas for compliance reports, certificates, forest evidence
and the EUDR package summary (DESIGN.md §3: validate once at the boundary)."""

from marshmallow import Schema, fields, validate

from coopchain.certs.registry import LANGUAGES
from coopchain.farms.models import ForestResult
from coopchain.forest.evidence import HAND_KINDS
from coopchain.schemas import DecimalIn, DecimalOut, LoadSchema, PageSchema

# --- compliance -------------------------------------------------------------------------------


class FindingOut(Schema):
    #: Stable rule code (AGR-ACTIVE, ORG-ORIGIN, EUDR-GEO, FOR-MISSING, …).
    code = fields.Str()
    severity = fields.Str(metadata={"enum": ["blocking", "warning"]})
    message = fields.Str()
    #: The plots ("CAF-0012 · Alta") and delivery tickets the finding concerns.
    plots = fields.List(fields.Str())
    deliveries = fields.List(fields.Str())
    #: What was looked at to decide.
    evidence = fields.Str()


class ComplianceSummaryOut(Schema):
    blocking = fields.Int()
    warnings = fields.Int()
    plots = fields.Int()
    producers = fields.Int()
    bags = fields.Int()
    net_kg = DecimalOut(places=3)
    #: The date claims are judged on: the shipment date (else planned loading), today for a lot.
    judged_on = fields.Date()
    #: Worst organic status of the origins (organic only if every one was).
    organic_status = fields.Str()
    #: No blocking finding: a certificate can be issued without an override.
    certifiable = fields.Bool()


class ComplianceOut(Schema):
    subject_kind = fields.Str(metadata={"enum": ["lot", "shipment"]})
    reference = fields.Str()
    crop = fields.Str()
    summary = fields.Nested(ComplianceSummaryOut)
    findings = fields.List(fields.Nested(FindingOut))
    #: The rules the engine ran, in order.
    rules_checked = fields.List(fields.Str())


# --- certificates -----------------------------------------------------------------------------


class CertificateIssueIn(LoadSchema):
    language = fields.Str(load_default="es", validate=validate.OneOf(LANGUAGES))
    #: Administrators only: issue despite blocking findings; printed on the certificate.
    override_reason = fields.Str(load_default=None, validate=validate.Length(max=1000))


class CertificateRevokeIn(LoadSchema):
    reason = fields.Str(required=True, validate=validate.Length(1, 500))


class CertificateReissueIn(LoadSchema):
    reason = fields.Str(required=True, validate=validate.Length(1, 500))
    #: The old certificate's language when left out.
    language = fields.Str(load_default=None, validate=validate.OneOf(LANGUAGES))
    override_reason = fields.Str(load_default=None, validate=validate.Length(max=1000))


class CertificateListArgs(PageSchema):
    #: A lot code or shipment reference.
    subject = fields.Str(load_default=None)


class CertificateOut(Schema):
    number = fields.Str()
    subject_kind = fields.Str(metadata={"enum": ["lot", "shipment"]})
    subject_ref = fields.Str()
    language = fields.Str()
    status = fields.Str(metadata={"enum": ["valid", "revoked"]})
    issued_at = fields.DateTime()
    issued_by = fields.Int(allow_none=True)
    #: Hex sha256 of the PDF bytes: every download returns exactly these bytes.
    sha256 = fields.Str()
    #: The public page the certificate's QR code opens.
    verify_url = fields.Str()
    #: This API's download of the stored PDF.
    pdf_url = fields.Str()
    findings = fields.List(fields.Nested(FindingOut))
    override_reason = fields.Str(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    revoke_reason = fields.Str(allow_none=True)
    #: Re-issues: the number this one replaces, and the number that replaced it.
    replaces = fields.Str(allow_none=True)
    replaced_by = fields.Str(allow_none=True)
    #: The organisation's audit-ledger head when issued (None only before anchoring existed):
    #: `coopchain verify-ledger` proves it still lies on the chain (docs/API.md, Ledger).
    ledger_seq = fields.Int(allow_none=True)
    ledger_hash = fields.Str(allow_none=True)


class BlockingFindingsOut(Schema):
    """409 when blocking findings stop the issue (the usual error plus the findings)."""

    error = fields.Str()
    message = fields.Str()
    fields_ = fields.Dict(data_key="fields")
    findings = fields.List(fields.Nested(FindingOut))


# --- forest evidence --------------------------------------------------------------------------


class ForestEvidenceIn(LoadSchema):
    #: Typed-in evidence only: raster and Whisp results come from their importers.
    kind = fields.Str(load_default="manual", validate=validate.OneOf([k.value for k in HAND_KINDS]))
    result = fields.Str(required=True, validate=validate.OneOf([r.value for r in ForestResult]))
    #: Dataset and version, map reviewed, visit report number…
    source = fields.Str(required=True, validate=validate.Length(1, 300))
    #: The day the evidence describes (image date, visit date); not in the future.
    observed_on = fields.Date(required=True)
    #: Required when result is loss_after_cutoff.
    loss_after_cutoff_ha = DecimalIn(load_default=None, allow_none=True)
    notes = fields.Str(load_default=None, validate=validate.Length(max=1000))


class ForestEvidenceOut(Schema):
    id = fields.Int()
    plot_id = fields.Int()
    kind = fields.Str()
    result = fields.Str()
    loss_after_cutoff_ha = DecimalOut(places=4, allow_none=True)
    source = fields.Str()
    observed_on = fields.Date()
    notes = fields.Str(allow_none=True)
    created_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.Str(allow_none=True)
    #: The live evidence the compliance engine reads for the plot (the latest).
    current = fields.Bool()


class ForestEvidenceVoidIn(LoadSchema):
    reason = fields.Str(required=True, validate=validate.Length(1, 500))


# --- EUDR -------------------------------------------------------------------------------------


class EudrPartOut(Schema):
    number = fields.Int()
    producer_count = fields.Int()
    plot_count = fields.Int()
    bytes = fields.Int()
    #: Where to download this part.
    url = fields.Str()


class EudrSummaryOut(Schema):
    reference = fields.Str()
    hs_code = fields.Str()
    net_kg = fields.Str()
    producer_count = fields.Int()
    plot_count = fields.Int()
    split = fields.Bool()
    part_count = fields.Int()
    parts = fields.List(fields.Nested(EudrPartOut))
    note = fields.Str()


# --- signing keys and the group's operator certificate ----------------------------------------


class OperatorCertificateIn(LoadSchema):
    """The grower group's organic operator certificate (DOMAIN.md §3), from its control body."""

    certifier_id = fields.Int(required=True, strict=False)
    number = fields.Str(required=True, validate=validate.Length(1, 60))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)


class KeyRevokeIn(LoadSchema):
    reason = fields.Str(required=True, validate=validate.Length(1, 500))
