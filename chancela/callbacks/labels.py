"""What staff read for a Clicksign event: a Portuguese name, never the wire code."""

from __future__ import annotations

EVENT_LABELS = {
    "upload": "Documento recebido pela Clicksign",
    "add_signer": "Signatário incluído",
    "remove_signer": "Signatário retirado",
    "signature_started": "Signatário abriu o documento",
    "sign": "Assinatura",
    "refusal": "Recusa",
    "close": "Documento finalizado",
    "auto_close": "Finalizado após a última assinatura",
    "deadline": "Prazo encerrado",
    "cancel": "Documento cancelado",
    "document_closed": "PDF assinado pronto",
    "update_deadline": "Prazo alterado",
    "update_auto_close": "Finalização automática alterada",
    "update_locale": "Idioma alterado",
    "update_block_after_refusal": "Bloqueio após recusa alterado",
    "add_image": "Imagem incluída",
    "custom": "Evento personalizado",
    "tracking_notification_error": "Falha ao entregar uma notificação",
    "attempts_by_whatsapp_exceeded": "Tentativas de token por WhatsApp esgotadas",
    "attempts_by_liveness_or_facematch_exceeded": "Tentativas de prova de vida esgotadas",
    "liveness_refused": "Selfie dinâmica recusada",
    "facematch_refused": "Biometria facial recusada",
    "biometric_refused": "Biometria SERPRO recusada",
    "documentscopy_refused": "Documentoscopia recusada",
    "ocr_refused": "Análise do documento (OCR) recusada",
    "identity_biometrics_refused": "Biometria (base ampliada) recusada",
}


def event_label(name: str) -> str:
    """The Portuguese name of a Clicksign event; an unknown one is said to be unknown."""
    if not name:
        return "Evento não informado"
    return EVENT_LABELS.get(name, "Evento não reconhecido")
