"""Human pages, in pt-BR: the mailbox home page, the signing pages, and file downloads."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from . import constants as C
from .clock import BRT
from .core import SigningError
from .errors import HTML_404
from .wire import Request, Response

if TYPE_CHECKING:
    from .core import Emulator
    from .model import Document, Envelope, Signer

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f6f9;
color:#1d2733;line-height:1.45}
header{background:#0b3d91;color:#fff;padding:16px 24px}
header h1{margin:0;font-size:1.35rem}
header p{margin:4px 0 0;opacity:.85;font-size:.9rem}
main{max-width:1100px;margin:0 auto;padding:20px}
section.card{background:#fff;border:1px solid #d8dee6;border-radius:8px;padding:16px 20px;
margin-bottom:18px}
h2{font-size:1.1rem;margin:0 0 6px}
h3{font-size:.95rem;margin:14px 0 6px;color:#3a4756}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6eaf0;vertical-align:top}
th{background:#f0f3f7;font-weight:600}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:.8rem;font-weight:600}
.draft{background:#e6e9ee;color:#394452}.running{background:#fff1c2;color:#7a5600}
.closed{background:#d6f5dd;color:#17632b}.canceled{background:#eceff3;color:#59636e}
.refused{background:#fde0e0;color:#8a1c1c}.muted{color:#6b7785;font-size:.85rem}
.warn{background:#fff4e5;border:1px solid #f0b357;border-radius:6px;padding:8px 12px}
.ok{background:#e5f7ea;border:1px solid #6cc183;border-radius:6px;padding:8px 12px}
.error{background:#fde8e8;border:1px solid #e08585;border-radius:6px;padding:8px 12px}
button{font-size:1rem;padding:8px 18px;border-radius:6px;border:1px solid transparent;
cursor:pointer}
button.sign{background:#0b7a3b;color:#fff}button.refuse{background:#fff;color:#a11d1d;
border-color:#a11d1d}
button:focus,a:focus,input:focus,textarea:focus{outline:3px solid #f0b357;outline-offset:2px}
a{color:#0b4fb3}
textarea{width:100%;min-height:60px;font:inherit}
fieldset{border:1px solid #d8dee6;border-radius:6px;margin:10px 0}
"""


def _layout(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="pt-BR"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        "<header><h1>Emulador Clicksign</h1>"
        "<p>Ambiente local de testes — nenhuma mensagem é enviada de verdade e nenhum documento "
        "tem validade jurídica.</p></header>"
        f"<main>{body}</main></body></html>"
    )


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(BRT).strftime("%d/%m/%Y %H:%M:%S")


def _badge(status: str) -> str:
    label = C.STATUS_LABELS.get(status, status)
    return f'<span class="badge {escape(status)}">{escape(label)}</span>'


def _signer_state(emu: Emulator, signer: Signer, document: Document) -> str:
    if document.id in signer.signed:
        return f'<span class="badge closed">Assinou em {_when(signer.signed[document.id])}</span>'
    if document.id in signer.refused:
        refusal = signer.refused[document.id]
        return f'<span class="badge refused">Recusou em {_when(refusal["at"])}</span>'
    if not emu.requirements_of(document.id, signer.id, "agree"):
        return '<span class="muted">não assina</span>'
    return '<span class="badge running">Pendente</span>'


# ---------------------------------------------------------------------- home


def home(emu: Emulator) -> Response:
    parts: list[str] = []
    envelopes = sorted(emu.envelopes.values(), key=lambda e: e.created, reverse=True)
    parts.append(
        '<section class="card"><h2>Caixa de entrada dos signatários</h2>'
        "<p>Esta página mostra cada envelope recebido pelo emulador, seus documentos e "
        "signatários, e cada notificação que o Clicksign teria enviado (e-mail, SMS ou "
        "WhatsApp). Use o link <strong>Abrir página de assinatura</strong> para assinar ou "
        "recusar como se fosse o signatário.</p>"
        f'<p class="muted">Hora do emulador: {_when(emu.now())} · '
        f'{len(envelopes)} envelope(s) · <a href="/">Atualizar</a></p></section>'
    )
    if not envelopes:
        parts.append('<section class="card"><p>Nenhum envelope criado ainda.</p></section>')
    for envelope in envelopes:
        parts.append(_envelope_card(emu, envelope))
    return Response.html(200, _layout("Emulador Clicksign — caixa de entrada", "".join(parts)))


def _envelope_card(emu: Emulator, envelope: Envelope) -> str:
    account = emu.accounts.get(envelope.account_key)
    account_label = (
        f"{escape(account.name)} · ambiente {escape(account.environment)}"
        if account
        else "removida"
    )
    documents = emu.envelope_documents(envelope)
    signers = emu.envelope_signers(envelope)
    out = [
        f'<section class="card" id="envelope-{escape(envelope.id)}">'
        f"<h2>{escape(envelope.name)} {_badge(envelope.status)}</h2>"
        f'<p class="muted">Envelope {escape(envelope.id)} · conta {account_label} · criado em '
        f"{_when(envelope.created)} · prazo {_when(envelope.deadline_at)}</p>"
    ]
    out.append(
        "<h3>Documentos</h3><table><tr><th>Arquivo</th><th>Situação</th><th>Arquivos</th></tr>"
    )
    for document in documents:
        links = f'<a href="/documents/{escape(document.id)}/original">original</a>'
        if emu.signed_available(document):
            links += f' · <a href="/documents/{escape(document.id)}/signed">assinado</a>'
        blocked = ' <span class="badge refused">bloqueado</span>' if document.blocked else ""
        out.append(
            f"<tr><td>{escape(document.filename)}</td><td>{_badge(document.status)}{blocked}</td>"
            f"<td>{links}</td></tr>"
        )
    out.append("</table>")
    out.append(
        "<h3>Signatários</h3><table><tr><th>Nome</th><th>Contato</th><th>Grupo</th>"
        "<th>Situação por documento</th><th></th></tr>"
    )
    for signer in signers:
        states = "<br>".join(
            f"{escape(d.filename)}: {_signer_state(emu, signer, d)}" for d in documents
        )
        contact = escape(signer.email or signer.phone_number or "—")
        out.append(
            f"<tr><td>{escape(signer.name)}</td><td>{contact}</td><td>{signer.group}</td>"
            f'<td>{states}</td><td><a href="/sign/{escape(signer.id)}">Abrir página de '
            "assinatura</a></td></tr>"
        )
    out.append("</table>")
    notifications = [n for n in emu.notifications if n.envelope_id == envelope.id]
    out.append("<h3>Mensagens enviadas</h3>")
    if not notifications:
        out.append(
            '<p class="muted">Nenhuma notificação enviada. (Ativar o envelope não notifica '
            "ninguém: é preciso chamar o endpoint de notificação.)</p>"
        )
    else:
        out.append(
            "<table><tr><th>Quando</th><th>Para</th><th>Canal</th><th>Assunto / mensagem</th>"
            "<th></th></tr>"
        )
        for notification in notifications:
            recipient = emu.signers.get(notification.signer_id)
            who = escape(recipient.name) if recipient else "—"
            kind = (
                "Documento finalizado"
                if notification.kind == "document_signed"
                else "Solicitação de assinatura"
            )
            if notification.trigger == "group_advance":
                kind += " (automática: vez do grupo)"
            subject = escape(notification.subject or "")
            message = escape(notification.message or "")
            out.append(
                f"<tr><td>{_when(notification.created)}</td>"
                f'<td>{who}<br><span class="muted">{escape(notification.to or "—")}</span></td>'
                f"<td>{escape(C.CHANNEL_LABELS.get(notification.channel, notification.channel))}"
                f"</td><td><strong>{escape(kind)}</strong><br>{subject}"
                f'<br><span class="muted">{message}</span></td>'
                f'<td><a href="{escape(notification.signing_url)}">Assinar</a></td></tr>'
            )
        out.append("</table>")
    out.append("</section>")
    return "".join(out)


# ---------------------------------------------------------------------- signing page

RESULT_MESSAGES = {
    "assinado": ("ok", "Assinatura registrada. Obrigado!"),
    "recusado": ("ok", "Recusa registrada."),
}


def signing_page(
    emu: Emulator, signer: Signer, *, notice: tuple[str, str] | None = None, status: int = 200
) -> Response:
    envelope = emu.envelopes[signer.envelope_id]
    emu.signature_start(signer)
    documents = emu.signer_documents(signer)
    parts = [f'<section class="card"><h2>{escape(envelope.name)} {_badge(envelope.status)}</h2>']
    parts.append(
        f"<p>Signatário: <strong>{escape(signer.name)}</strong>"
        f"{' · ' + escape(signer.email) if signer.email else ''} · grupo {signer.group}</p>"
    )
    if notice:
        parts.append(f'<p class="{notice[0]}" role="status">{escape(notice[1])}</p>')
    parts.append("<table><tr><th>Documento</th><th>Situação</th><th></th></tr>")
    for document in documents:
        parts.append(
            f"<tr><td>{escape(document.filename)}</td>"
            f"<td>{_signer_state(emu, signer, document)} "
            f'<span class="muted">documento</span> {_badge(document.status)}</td>'
            f'<td><a href="/sign/{escape(signer.id)}/documents/{escape(document.id)}" '
            'target="_blank">Visualizar original</a></td></tr>'
        )
    parts.append("</table>")
    reason = _cannot_sign_reason(emu, signer)
    if reason:
        parts.append(f'<p class="warn">{escape(reason)}</p>')
    else:
        auths = sorted({a for d in documents for a in emu.auths_of(d.id, signer.id)})
        parts.append(
            f'<p class="muted">Autenticação exigida: {escape(", ".join(auths) or "—")} '
            "(simulada pelo emulador: nenhum código é pedido).</p>"
            f'<form method="post" action="/sign/{escape(signer.id)}">'
            '<input type="hidden" name="action" value="sign">'
            '<button class="sign" type="submit">Assinar</button></form>'
        )
        if signer.refusable:
            options = "".join(
                f'<label><input type="checkbox" name="reasons" value="{escape(r)}"> {escape(r)}'
                "</label><br>"
                for r in C.REFUSAL_REASONS
            )
            parts.append(
                f'<form method="post" action="/sign/{escape(signer.id)}">'
                '<input type="hidden" name="action" value="refuse">'
                f"<fieldset><legend>Recusar o documento</legend>{options}"
                '<label for="comment">Comentário</label>'
                '<textarea id="comment" name="comment"></textarea></fieldset>'
                '<button class="refuse" type="submit">Recusar</button></form>'
            )
    parts.append('<p class="muted"><a href="/">Voltar para a caixa de entrada</a></p></section>')
    return Response.html(status, _layout(f"Assinar — {envelope.name}", "".join(parts)))


def _cannot_sign_reason(emu: Emulator, signer: Signer) -> str | None:
    envelope = emu.envelopes[signer.envelope_id]
    if envelope.status == "draft":
        return "Este envelope ainda é um rascunho: ele precisa ser ativado antes da assinatura."
    if envelope.status != "running":
        return (
            f"Este envelope está {C.STATUS_LABELS.get(envelope.status, envelope.status).lower()}."
        )
    try:
        emu._signable(signer, None)
    except SigningError as error:
        messages = {
            "nothing_to_sign": "Não há documentos pendentes para você.",
            "document_blocked": "O documento foi bloqueado após uma recusa.",
            "waiting_previous_group": "Aguardando a assinatura do grupo anterior.",
        }
        return messages.get(error.code, error.message)
    return None


def signing_post(emu: Emulator, signer: Signer, request: Request) -> Response:
    form = request.form()
    action = (form.get("action") or [""])[0]
    try:
        if action == "sign":
            emu.sign(signer)
            result = "assinado"
        elif action == "refuse":
            reasons = form.get("reasons") or ["Outro"]
            comment = (form.get("comment") or [""])[0]
            emu.refuse(signer, reasons, comment)
            result = "recusado"
        else:
            return signing_page(emu, signer, notice=("error", "Ação desconhecida."), status=400)
    except SigningError as error:
        return signing_page(emu, signer, notice=("error", error.message), status=409)
    return Response.redirect(f"/sign/{signer.id}?{urlencode({'resultado': result})}")


# ---------------------------------------------------------------------- routing

SIGN_PAGE = re.compile(r"^/sign/(?P<signer>[^/]+)$")
SIGN_DOC = re.compile(r"^/sign/(?P<signer>[^/]+)/documents/(?P<document>[^/]+)$")
WIDGET = re.compile(r"^/notarial/widget/signatures/(?P<signer>[^/]+)/redirect$")
DOC_FILE = re.compile(r"^/documents/(?P<document>[^/]+)/(?P<kind>original|signed)$")
FILES = re.compile(r"^/__files/(?P<token>[^/]+)$")


def handle(emu: Emulator, request: Request) -> Response:
    path = request.path
    with emu.lock:
        if path == "/" and request.method == "GET":
            return home(emu)
        if found := WIDGET.match(path):
            if request.method == "GET" and found["signer"] in emu.signers:
                return Response.redirect(f"/sign/{found['signer']}", status=302)
            return Response.html(404, HTML_404)
        if found := SIGN_PAGE.match(path):
            signer = emu.signers.get(found["signer"])
            if signer is None:
                return Response.html(404, HTML_404)
            if request.method == "GET":
                result = request.param("resultado")
                return signing_page(emu, signer, notice=RESULT_MESSAGES.get(result or ""))
            if request.method == "POST":
                return signing_post(emu, signer, request)
        if (found := SIGN_DOC.match(path)) and request.method == "GET":
            signer = emu.signers.get(found["signer"])
            document = emu.documents.get(found["document"])
            if signer and document and document.envelope_id == signer.envelope_id:
                return _file_response(document.content, document.mime, document.filename)
        if (found := DOC_FILE.match(path)) and request.method == "GET":
            document = emu.documents.get(found["document"])
            if document is not None:
                if found["kind"] == "original":
                    return _file_response(document.content, document.mime, document.filename)
                if emu.signed_available(document):
                    content, mime, name = emu.file_content(document, "signed")
                    return _file_response(content, mime, name)
        if (found := FILES.match(path)) and request.method == "GET":
            return download(emu, request, found["token"])
    return Response.html(404, HTML_404)


def _file_response(content: bytes, mime: str, filename: str) -> Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'")
    return Response(
        200,
        content,
        mime,
        {
            "Content-Disposition": (
                f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
            )
        },
    )


# ---------------------------------------------------------------------- downloads (S3-like)


def _s3_error(status: int, code: str, message: str, extra: str = "") -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{extra}"
        "<RequestId>EMULATOR</RequestId><HostId>clicksign-emulator</HostId></Error>"
    )
    return Response(status, body.encode(), "application/xml")


def download(emu: Emulator, request: Request, token: str) -> Response:
    """A pre-signed-URL lookalike: 400 with an Authorization header, 403 once expired."""
    if request.header("authorization") is not None:
        return _s3_error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
            "<ArgumentName>Authorization</ArgumentName>",
        )
    link = emu.files.get(token)
    if link is None or link.document_id not in emu.documents:
        return _s3_error(403, "AccessDenied", "Access Denied")
    now = emu.clock.time()
    if now > link.expires_at:
        expires = datetime.fromtimestamp(link.expires_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        server_time = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return _s3_error(
            403,
            "AccessDenied",
            "Request has expired",
            f"<X-Amz-Expires>{C.DOWNLOAD_URL_TTL_SECONDS}</X-Amz-Expires>"
            f"<Expires>{expires}</Expires><ServerTime>{server_time}</ServerTime>",
        )
    document = emu.documents[link.document_id]
    content, mime, name = emu.file_content(document, link.kind)
    return _file_response(content, mime, name)
