"""Fixed vocabularies and defaults of the Clicksign v3 API as the emulator knows them.

Sources: ``/work/shared/reference/clicksign-api.md`` (sections 2 and 3).
"""

from __future__ import annotations

#: Fixed, UUID-shaped token of the demo sandbox account that ``python -m clicksign_emulator``
#: creates (unless ``--no-demo-account``). Chancela's demo data is configured with it.
DEMO_SANDBOX_TOKEN = "0c1a9e5d-7b3f-4d2a-9e6c-5a4b3c2d1e0f"  # noqa: S105 - public demo value
#: Fixed ``key`` (account uuid) of the demo account; webhooks carry it as ``account_key``.
DEMO_ACCOUNT_KEY = "d3a1c0de-0000-4000-8000-00000000c0de"
DEMO_API_USER_EMAIL = "api@demo.chancela.local"
#: The demo production account (``python -m clicksign_emulator`` only): the local demo's
#: "Promover para produção" talks to it.
DEMO_PRODUCTION_TOKEN = "7e2b8f14-3c6d-4a9e-b1f0-d5c4e3b2a190"  # noqa: S105 - public demo value
DEMO_PRODUCTION_ACCOUNT_KEY = "d3a1c0de-0000-4000-8000-0000000090d0"

SANDBOX = "sandbox"
PRODUCTION = "production"
ENVIRONMENTS = (SANDBOX, PRODUCTION)

DEFAULT_SANDBOX_RATE_LIMIT = 20
DEFAULT_PRODUCTION_RATE_LIMIT = 50
RATE_LIMIT_WINDOW_SECONDS = 10
NOTIFICATION_LIMIT_SECONDS = 60

DOWNLOAD_URL_TTL_SECONDS = 300
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ENVELOPE_BYTES = 100 * 1024 * 1024
DEFAULT_DEADLINE_DAYS = 30
MAX_DEADLINE_DAYS = 90
DEFAULT_PAGE_SIZE = 20
# Clicksign documents no maximum; independent clients cap at 50. Larger sizes are refused (400),
# never silently trimmed, so a client asking for more finds out here.
MAX_PAGE_SIZE = 50

ENVELOPE_STATUSES = ("draft", "running", "closed", "canceled")
DOCUMENT_STATUSES = ENVELOPE_STATUSES
LOCALES = ("pt-BR", "en-US")
REMIND_INTERVALS = (1, 2, 3, 7, 14)
PARTIAL_SIGNATURE_ACTIONS = ("closed", "canceled")

MIME_TYPES = (
    "text/plain",
    "image/png",
    "image/jpeg",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
UPLOAD_EXTENSIONS = ("doc", "docx", "pdf", "jpg", "jpeg", "png", "txt")

REQUIREMENT_ACTIONS = ("agree", "provide_evidence", "rubricate")

ROLES = (
    "account_holder", "accountant", "administrator", "approve", "associate", "attorney",
    "bailee", "borrower", "broker", "building_manager", "buyer", "collateral_provider",
    "comforter", "consented", "consenting", "consenting_intervenor", "consignee", "contractee",
    "contractor", "co_responsible", "creditor", "debtor", "distracted", "distracting",
    "director", "employee", "employer", "endorsee", "endorser", "franchisee", "franchisor",
    "grantee", "grantor", "guarantor", "guarantor_spouse", "insurance_broker", "insured",
    "intermediary", "intervening", "intervening_guarantor", "issuer", "joint_debtor", "lawyer",
    "legal_guardian", "legal_representative", "lender", "lessee", "lessor", "licensed",
    "licensor", "manager", "owner", "partner", "party", "pledged", "president", "ratify",
    "real_estate_broker", "receipt", "resident", "secretary", "secured", "seller",
    "service_provider", "sign", "surveyor", "surety", "transferee", "transferor", "treasurer",
    "validator", "witness",
)  # fmt: skip

AUTHS = (
    "email", "sms", "whatsapp", "pix", "icp_brasil", "handwritten", "selfie",
    "official_document", "address_proof", "liveness", "facial_biometrics",
    "identity_biometrics", "auto_signature", "presential", "embedded_signature", "biometric",
    "documentscopy",
)  # fmt: skip
TOKEN_AUTHS = ("email", "sms", "whatsapp")
PHONE_AUTHS = ("sms", "whatsapp")
#: auth -> auths it cannot be combined with (for the same signer and document)
AUTH_INCOMPATIBLE = {
    "facial_biometrics": ("official_document", "liveness", "selfie"),
    "biometric": ("official_document", "liveness", "selfie"),
    "identity_biometrics": (
        "biometric", "facial_biometrics", "official_document", "liveness", "selfie",
    ),
}  # fmt: skip
RUBRIC_KINDS = ("initials", "manuscript")

SIGNATURE_REQUEST_CHANNELS = ("email", "sms", "whatsapp", "none")
SIGNATURE_REMINDER_CHANNELS = ("email", "none")
DOCUMENT_SIGNED_CHANNELS = ("email", "whatsapp")

NOTIFICATION_ALIGNS = ("left", "center", "right", "justify")

REFUSAL_REASONS = (
    "Conteúdo do documento",
    "Dados pessoais incorretos",
    "Não reconheço este documento",
    "Outro",
)

WEBHOOK_EVENTS = (
    "upload", "add_image", "close", "auto_close", "deadline", "document_closed", "cancel",
    "add_signer", "remove_signer", "sign", "signature_started", "refusal",
    "attempts_by_whatsapp_exceeded", "attempts_by_liveness_or_facematch_exceeded",
    "liveness_refused", "facematch_refused", "biometric_refused", "documentscopy_refused",
    "ocr_refused", "identity_biometrics_refused", "update_deadline", "update_auto_close",
    "update_locale", "custom", "update_block_after_refusal", "tracking_notification_error",
    "acceptance_term_enqueued", "acceptance_term_sent", "acceptance_term_completed",
    "acceptance_term_refused", "acceptance_term_canceled", "acceptance_term_expired",
    "acceptance_term_error",
)  # fmt: skip
WEBHOOK_STATUSES = ("active", "inactive")

#: Portuguese labels used by the HTML pages.
STATUS_LABELS = {
    "draft": "Rascunho",
    "running": "Em andamento",
    "closed": "Finalizado",
    "canceled": "Cancelado",
}
CHANNEL_LABELS = {"email": "E-mail", "sms": "SMS", "whatsapp": "WhatsApp", "none": "Nenhum"}
