"""The catalogue of error codes the host API answers: one place for status, meaning and docs.

Every error under ``/api/v1`` is JSON ``{"code", "message", "field", ...}``. ``code`` is one of
these; the OpenAPI document lists them as an enum and ``docs/api.md`` shows this table.
A test scans the code the API reaches and fails when a raised code is missing here.
"""

from __future__ import annotations

from typing import NamedTuple


class ErrorCode(NamedTuple):
    status: int
    meaning: str  # pt-BR, for the catalogue table
    action: str = ""  # what the integrator should do (pt-BR)


_INPUT = "Corrija o campo indicado em `field` e envie de novo."

CATALOGUE: dict[str, ErrorCode] = {
    # Transport and protocol (any operation).
    "malformed_json": ErrorCode(
        400, "O corpo não é um JSON válido (truncado, ou não UTF-8).", "Envie JSON válido."
    ),
    "unauthorized": ErrorCode(
        401, "Chave de API ausente, com esquema errado ou inválida.", "Confira o cabeçalho."
    ),
    "api_key_revoked": ErrorCode(401, "A chave foi revogada.", "Peça uma chave nova."),
    "not_found": ErrorCode(404, "Caminho inexistente na API.", "Confira a URL em /api/v1/docs."),
    "method_not_allowed": ErrorCode(
        405, "Método HTTP não aceito neste caminho (veja `Allow`).", "Use o método documentado."
    ),
    "request_too_large": ErrorCode(
        413, "Corpo acima do limite da API.", "Envie menos documentos por vez (ou divida o lote)."
    ),
    "unsupported_media_type": ErrorCode(
        415, "Corpo enviado sem `Content-Type: application/json`.", "Envie o cabeçalho certo."
    ),
    "rate_limited": ErrorCode(
        429, "Limite de requisições da chave atingido.", "Espere `Retry-After` segundos."
    ),
    "server_error": ErrorCode(
        500, "Erro inesperado no Chancela (registrado).", "Tente de novo; persiste, avise o TI."
    ),
    "invalid_input": ErrorCode(
        422,
        "Corpo ou parâmetro fora do esquema (tipo, tamanho, formato, campo desconhecido).",
        _INPUT,
    ),
    "cursor_invalid": ErrorCode(422, "Cursor que não veio de uma página anterior.", _INPUT),
    # Look-ups within the key's units.
    "unit_not_found": ErrorCode(404, "Unidade inexistente ou fora das unidades da chave."),
    "document_type_not_found": ErrorCode(404, "Tipo de documento inexistente para a unidade."),
    "request_not_found": ErrorCode(404, "Solicitação inexistente nas unidades da chave."),
    "batch_not_found": ErrorCode(404, "Lote inexistente nas unidades da chave."),
    "document_not_found": ErrorCode(404, "Documento inexistente nesta solicitação."),
    "signer_not_found": ErrorCode(404, "Signatário inexistente nesta solicitação."),
    "signed_not_available": ErrorCode(
        404, "A solicitação terminou sem assinatura: não haverá PDF assinado."
    ),
    # State and idempotency.
    "external_id_conflict": ErrorCode(
        409,
        "O `external_id` já foi usado na unidade com outro conteúdo (`existing_id` traz o id).",
        "Reenvie idêntico, ou use outro external_id.",
    ),
    "signed_not_ready": ErrorCode(
        409, "O PDF assinado ainda não foi arquivado.", "Tente de novo mais tarde."
    ),
    "action_not_allowed": ErrorCode(409, "A situação da solicitação não permite a ação."),
    "signer_group_not_started": ErrorCode(
        409,
        "O signatário pertence a um grupo que ainda não começou a assinar.",
        "Lembre quando o grupo anterior terminar (a Clicksign o convida nessa hora).",
    ),
    "remind_too_soon": ErrorCode(
        429, "A Clicksign aceita um lembrete por minuto.", "Espere `Retry-After` segundos."
    ),
    "clicksign_error": ErrorCode(
        502, "A Clicksign recusou ou não respondeu.", "Tente de novo (veja `Retry-After`)."
    ),
    # Content refused by the rules (422, with the field).
    "unit_inactive": ErrorCode(422, "Unidade inativa."),
    "document_type_inactive": ErrorCode(422, "Tipo de documento inativo."),
    "config_inactive": ErrorCode(
        422, "A configuração Clicksign do tipo de documento está inativa."
    ),
    "config_not_for_unit": ErrorCode(422, "A configuração do tipo não atende a unidade."),
    "external_id_invalid": ErrorCode(422, "`external_id` com caracteres não aceitos.", _INPUT),
    "external_id_too_long": ErrorCode(422, "`external_id` longo demais.", _INPUT),
    "title_required": ErrorCode(422, "Título vazio.", _INPUT),
    "title_too_long": ErrorCode(422, "Título longo demais.", _INPUT),
    "message_too_long": ErrorCode(422, "Mensagem longa demais.", _INPUT),
    "documents_required": ErrorCode(422, "Nenhum documento.", _INPUT),
    "too_many_documents": ErrorCode(422, "Documentos demais numa solicitação.", _INPUT),
    "document_duplicate_content": ErrorCode(422, "O mesmo PDF enviado duas vezes.", _INPUT),
    "document_duplicate_name": ErrorCode(422, "Dois documentos com o mesmo nome.", _INPUT),
    "invalid_base64": ErrorCode(422, "`content_base64` não é base64 válido.", _INPUT),
    "pdf_empty": ErrorCode(422, "PDF vazio.", _INPUT),
    "pdf_too_large": ErrorCode(413, "PDF acima de 10 MB (ou a soma acima de 100 MB).", _INPUT),
    "pdf_not_pdf": ErrorCode(422, "O arquivo não é um PDF.", _INPUT),
    "pdf_truncated": ErrorCode(422, "PDF incompleto.", _INPUT),
    "pdf_unreadable": ErrorCode(422, "PDF ilegível.", _INPUT),
    "pdf_encrypted": ErrorCode(422, "PDF protegido por senha.", _INPUT),
    "pdf_no_pages": ErrorCode(422, "PDF sem páginas.", _INPUT),
    "pdf_too_complex": ErrorCode(422, "PDF complexo demais para conferir.", _INPUT),
    "pdf_javascript": ErrorCode(422, "PDF com JavaScript.", _INPUT),
    "pdf_launch_action": ErrorCode(422, "PDF que abre programas.", _INPUT),
    "pdf_embedded_file": ErrorCode(422, "PDF com arquivo anexado.", _INPUT),
    "pdf_active_content": ErrorCode(422, "PDF com conteúdo ativo (mídia, formulário XFA).", _INPUT),
    "signers_required": ErrorCode(422, "Nem `signers` nem `student`.", _INPUT),
    "signers_and_student": ErrorCode(422, "`signers` e `student` juntos: use um dos dois.", _INPUT),
    "too_many_signers": ErrorCode(422, "Signatários demais.", _INPUT),
    "duplicate_signer": ErrorCode(422, "O mesmo e-mail ou CPF em dois signatários.", _INPUT),
    "name_required": ErrorCode(422, "Nome vazio.", _INPUT),
    "name_incomplete": ErrorCode(422, "Nome sem sobrenome (ou com dígitos).", _INPUT),
    "email_required": ErrorCode(422, "E-mail vazio.", _INPUT),
    "email_invalid": ErrorCode(422, "E-mail inválido.", _INPUT),
    "cpf_invalid": ErrorCode(422, "CPF inválido (dígitos verificadores).", _INPUT),
    "phone_invalid": ErrorCode(422, "Telefone inválido.", _INPUT),
    "phone_not_mobile": ErrorCode(422, "SMS/WhatsApp exigem celular.", _INPUT),
    "phone_required": ErrorCode(422, "SMS/WhatsApp sem telefone.", _INPUT),
    "channel_invalid": ErrorCode(422, "Canal não aceito.", _INPUT),
    "role_invalid": ErrorCode(422, "Papel não aceito por este tipo de documento.", _INPUT),
    "group_invalid": ErrorCode(422, "Grupo (ordem de assinatura) inválido.", _INPUT),
    "birth_date_future": ErrorCode(422, "Data de nascimento no futuro.", _INPUT),
    "student_birth_date_required": ErrorCode(422, "Aluno sem data de nascimento.", _INPUT),
    "guardian_required": ErrorCode(422, "Aluno menor sem responsável.", _INPUT),
    "guardians_without_student": ErrorCode(422, "`guardians` sem `student`.", _INPUT),
    "capacity_override_invalid": ErrorCode(422, "Substituição da regra inválida.", _INPUT),
    "capacity_override_reason_required": ErrorCode(422, "Substituição sem motivo.", _INPUT),
    "capacity_override_reason_too_long": ErrorCode(422, "Motivo longo demais.", _INPUT),
    "capacity_override_without_student": ErrorCode(422, "Substituição sem `student`.", _INPUT),
    "fixed_signer_incomplete": ErrorCode(
        422, "Um signatário fixo do tipo de documento está incompleto (cadastro do Chancela)."
    ),
    "emancipated_under_16": ErrorCode(422, "Emancipado com menos de 16 anos.", _INPUT),
    "biometrics_justification_required": ErrorCode(
        422, "Selfie ou documento oficial de menor sem justificativa (LGPD).", _INPUT
    ),
    "biometrics_justification_too_long": ErrorCode(422, "Justificativa longa demais.", _INPUT),
    # The document type's signature policy.
    "icp_brasil_required": ErrorCode(
        422, "O tipo de documento exige certificado ICP-Brasil (fora da Clicksign)."
    ),
    "policy_deadline_too_far": ErrorCode(422, "Prazo além do máximo do tipo.", _INPUT),
    "policy_role_missing": ErrorCode(422, "Falta um papel obrigatório do tipo.", _INPUT),
    "policy_witnesses_missing": ErrorCode(422, "Faltam testemunhas exigidas pelo tipo.", _INPUT),
    "policy_order_parallel": ErrorCode(
        422, "O tipo exige assinatura em paralelo (um só grupo).", _INPUT
    ),
    "deadline_past": ErrorCode(422, "Prazo no passado.", _INPUT),
    "deadline_too_far": ErrorCode(422, "Prazo além de 90 dias.", _INPUT),
    "reason_required": ErrorCode(422, "Motivo vazio.", _INPUT),
    "reason_too_long": ErrorCode(422, "Motivo longo demais.", _INPUT),
    "rows_required": ErrorCode(422, "Lote sem linhas.", _INPUT),
    "pdf_missing": ErrorCode(422, "Linha sem PDF.", _INPUT),
    "batch_empty": ErrorCode(422, "Nenhuma linha incluída no lote.", _INPUT),
    "batch_has_problems": ErrorCode(422, "Linhas com problemas impedem o envio do lote."),
    "batch_not_draft": ErrorCode(409, "O envio do lote já começou."),
}

CODES: tuple[str, ...] = tuple(CATALOGUE)


def status_of(code: str) -> int:
    """The HTTP status of a code; an uncatalogued domain refusal is a 422."""
    entry = CATALOGUE.get(code)
    return entry.status if entry else 422


def codes_with_status(*statuses: int) -> list[str]:
    return [code for code, entry in CATALOGUE.items() if entry.status in statuses]
