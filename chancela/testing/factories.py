"""Factory functions for tests. Each returns a saved object with sensible defaults."""

from __future__ import annotations

import functools
import io
import itertools
import random
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.core.files.base import ContentFile
from django.utils import timezone

from chancela.api.models import ApiKey
from chancela.api.services import api_key_create
from chancela.esign.models import (
    DocumentType,
    DocumentTypeSigner,
    SignatureConfig,
    SignerRegistration,
)
from chancela.esign.services import document_type_create, signature_config_create
from chancela.institutions.models import Person, SharingPolicy, Unit, UnitAccess, UnitGroup
from chancela.signing.inputs import DocumentInput, SignerInput
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.signing.services import signature_request_create

_seq = itertools.count(1)

MANAGE_CONFIG = "esign.manage_signature_config"
SEND_DOCUMENTS = "signing.send_documents"

TEST_TOKEN = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
TEST_WEBHOOK_SECRET = "973d92ca80c2206a0e65b35d2371d595"


def make_cpf(seed: int | None = None) -> str:
    """A valid CPF (11 digits, right check digits)."""
    rnd = random.Random(seed)
    while True:
        base = [rnd.randint(0, 9) for _ in range(9)]
        if len(set(base)) > 1:
            break
    for size in (9, 10):
        total = sum(n * w for n, w in zip(base, range(size + 1, 1, -1), strict=True))
        base.append((total * 10) % 11 % 10)
    return "".join(map(str, base))


def letters(n: int) -> str:
    """A unique, digit-free name part for n (Clicksign refuses digits in signer names)."""
    word = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        word = chr(97 + rest) + word
    return word.capitalize()


def make_unit_group(**kwargs: Any) -> UnitGroup:
    n = next(_seq)
    return UnitGroup.objects.create(
        code=kwargs.pop("code", f"G{n}"), name=kwargs.pop("name", f"Grupo {n}"), **kwargs
    )


def make_unit(group: UnitGroup | None = None, **kwargs: Any) -> Unit:
    n = next(_seq)
    return Unit.objects.create(
        code=kwargs.pop("code", f"U{n}"),
        name=kwargs.pop("name", f"Unidade {n}"),
        group=group,
        **kwargs,
    )


def make_user(
    *,
    units: list[Unit] | tuple[Unit, ...] = (),
    perms: list[str] | tuple[str, ...] = (),
    superuser: bool = False,
    username: str | None = None,
    password: str = "senha-de-teste",
) -> User:
    n = next(_seq)
    name = username or f"user{n}"
    if superuser:
        user = User.objects.create_superuser(name, f"{name}@example.com", password)
    else:
        user = User.objects.create_user(name, f"{name}@example.com", password)
    if perms:
        group, _ = Group.objects.get_or_create(name=f"Perfil {'+'.join(sorted(perms))}")
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        user.groups.add(group)
    for unit in units:
        UnitAccess.objects.create(user=user, unit=unit)
    return user


def make_person(unit: Unit, **kwargs: Any) -> Person:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "name": f"Pessoa Teste {letters(n)}",
        "email": f"pessoa{n}@example.com",
        "cpf": make_cpf(n),
        "phone": "11987654321",
        "birth_date": date(1990, 1, 1),
    }
    defaults.update(kwargs)
    return Person.objects.create(unit=unit, **defaults)


def make_config(unit: Unit, actor: Any = None, **kwargs: Any) -> SignatureConfig:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "name": f"Configuração {n}",
        "environment": "sandbox",
        "api_user_email": "api@example.com",
        "token": TEST_TOKEN,
        "webhook_secret": TEST_WEBHOOK_SECRET,
        "notification_email": "ti@example.com",
    }
    defaults.update(kwargs)
    return signature_config_create(actor=actor, unit=unit, **defaults)


def make_document_type(
    config: SignatureConfig, units: list[Unit] | None = None, **kwargs: Any
) -> DocumentType:
    n = next(_seq)
    defaults: dict[str, Any] = {"code": f"DOC_{n}", "name": f"Documento {n}"}
    defaults.update(kwargs)
    return document_type_create(config=config, units=units or [config.unit], **defaults)


def set_sharing(sharing_type: str) -> None:
    SharingPolicy.objects.update_or_create(
        filter_name=SharingPolicy.SIGNATURE_CONFIG, defaults={"sharing_type": sharing_type}
    )


# --- PDFs, API keys, document-type signers, requests (issue 4, part A) ----------------------

PDF_ACTIVE_KINDS = (
    "names_javascript",
    "open_action_javascript",
    "open_action_launch",
    "page_aa_javascript",
    "annotation_javascript",
    "embedded_file",
    "file_attachment_annotation",
    "uri_javascript",
    "link_gotor",
    "link_gote",
    "submit_form",
    "import_data",
)
# Link actions each kind above puts on the first page (annotation /A).
_LINK_ACTIONS = {
    "uri_javascript": {"/S": "/URI", "/URI": " JavaScript:app.alert('oi')"},
    "link_gotor": {"/S": "/GoToR", "/F": "\\\\servidor\\compartilhado\\a.pdf", "/D": "[0 /Fit]"},
    "link_gote": {"/S": "/GoToE", "/D": "[0 /Fit]"},
    "submit_form": {"/S": "/SubmitForm", "/F": "https://coleta.example/dados"},
    "import_data": {"/S": "/ImportData", "/F": "dados.fdf"},
}


def make_pdf_bytes(
    pages: int = 1,
    *,
    text: str | None = None,
    active: str | None = None,
    encrypted: bool = False,
) -> bytes:
    """A small, valid PDF (A4 pages with a line of text), or one with the given defect.

    ``active``: one of PDF_ACTIVE_KINDS (JavaScript in various places, a Launch action, an
    embedded file); ``encrypted``: protected by a password.
    """
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        TextStringObject,
    )

    def name(value: str) -> NameObject:
        return NameObject(value)

    def js_action(code: str = "app.alert('oi');") -> DictionaryObject:
        return DictionaryObject(
            {name("/S"): name("/JavaScript"), name("/JS"): TextStringObject(code)}
        )

    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                name("/Type"): name("/Font"),
                name("/Subtype"): name("/Type1"),
                name("/BaseFont"): name("/Helvetica"),
                name("/Encoding"): name("/WinAnsiEncoding"),
            }
        )
    )
    for number in range(1, pages + 1):
        page = writer.add_blank_page(595, 842)
        page[name("/Resources")] = DictionaryObject(
            {name("/Font"): DictionaryObject({name("/F1"): font})}
        )
        line = (text or "Documento de teste do Chancela") + f" - pagina {number}"
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 14 Tf 72 770 Td ({safe}) Tj ET".encode("latin-1", "replace"))
        page[name("/Contents")] = writer._add_object(stream)
    first = writer.pages[0]
    root = writer.root_object
    if active == "names_javascript":
        from pypdf.actions import JavaScript

        writer.add_open_action(JavaScript("app.alert('oi');"))
    elif active == "open_action_javascript":
        root[name("/OpenAction")] = writer._add_object(js_action())
    elif active == "open_action_launch":
        root[name("/OpenAction")] = DictionaryObject(
            {name("/S"): name("/Launch"), name("/F"): TextStringObject("calc.exe")}
        )
    elif active == "page_aa_javascript":
        first[name("/AA")] = DictionaryObject({name("/O"): js_action()})
    elif active == "annotation_javascript":
        link = DictionaryObject(
            {
                name("/Type"): name("/Annot"),
                name("/Subtype"): name("/Link"),
                name("/Rect"): ArrayObject([FloatObject(v) for v in (72, 700, 200, 720)]),
                name("/A"): js_action(),
            }
        )
        first[name("/Annots")] = ArrayObject([writer._add_object(link)])
    elif active == "embedded_file":
        writer.add_attachment("planilha.xlsm", b"PK fake macro workbook")
    elif active == "file_attachment_annotation":
        annotation = DictionaryObject(
            {
                name("/Type"): name("/Annot"),
                name("/Subtype"): name("/FileAttachment"),
                name("/Rect"): ArrayObject([FloatObject(v) for v in (72, 700, 90, 720)]),
            }
        )
        first[name("/Annots")] = ArrayObject([writer._add_object(annotation)])
    elif active in _LINK_ACTIONS:
        action = DictionaryObject(
            {
                name(key): (name(value) if value.startswith("/") else TextStringObject(value))
                for key, value in _LINK_ACTIONS[active].items()
            }
        )
        link = DictionaryObject(
            {
                name("/Type"): name("/Annot"),
                name("/Subtype"): name("/Link"),
                name("/Rect"): ArrayObject([FloatObject(v) for v in (72, 700, 200, 720)]),
                name("/A"): action,
            }
        )
        first[name("/Annots")] = ArrayObject([writer._add_object(link)])
    elif active is not None:
        raise ValueError(f"unknown active content kind: {active}")
    if encrypted:
        writer.encrypt("senha-secreta", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@functools.lru_cache(maxsize=4)
def _deflated_blanks(length: int) -> tuple[bytes, int, int]:
    """``length`` blanks as a final raw-deflate segment, with their Adler-32."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b" " * (1024 * 1024)
    parts, adler, left = [], 1, length
    while left > 0:
        piece = chunk[: min(left, len(chunk))]
        parts.append(packer.compress(piece))
        adler = zlib.adler32(piece, adler)
        left -= len(piece)
    parts.append(packer.flush())
    return b"".join(parts), adler, length


def _adler32_combine(first: int, second: int, second_length: int) -> int:
    base = 65521
    a = ((first & 0xFFFF) + (second & 0xFFFF) - 1) % base
    b = ((first >> 16) + (second >> 16) + second_length * ((first & 0xFFFF) - 1)) % base
    return (b << 16) | a


def make_pdf_bomb(*, streams: int = 12, inflated_bytes: int = 70_000_000) -> bytes:
    """A PDF whose object streams each inflate to ``inflated_bytes`` (about 1 KB per MB on disk).

    The shape of the attack in issue #12: one page, and the catalog pointing at one object inside
    each of ``streams`` deflated object streams padded with blanks, so resolving the catalog
    inflates them all. Written by hand (no library writes object streams this way), deflated
    in chunks so building it never holds the inflated bytes.
    """
    import zlib

    def deflated_padding(prefix: bytes) -> bytes:
        # zlib header + the prefix deflated + the blanks deflated once (cached) + Adler-32 of all:
        # full flushes make the raw deflate segments independent, so they can be spliced.
        blanks, blanks_adler, blanks_length = _deflated_blanks(inflated_bytes - len(prefix))
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        head = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
        adler = _adler32_combine(zlib.adler32(prefix), blanks_adler, blanks_length)
        return b"\x78\xda" + head + blanks + adler.to_bytes(4, "big")

    first_stream, first_inner = 4, 100
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R /Chancela [ "
        + b" ".join(b"%d 0 R" % (first_inner + i) for i in range(streams))
        + b" ] >>",
        2: b"<< /Type /Pages /Kids [ 3 0 R ] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 595 842 ] >>",
    }
    for i in range(streams):
        header = b"%d 0 " % (first_inner + i)
        data = deflated_padding(header + b"<< /Bomb true >>")
        objects[first_stream + i] = (
            b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(header), len(data))
            + data
            + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_number = first_inner + streams
    size = xref_number + 1
    rows = bytearray()
    for number in range(size):
        if number in offsets:
            rows += bytes([1]) + offsets[number].to_bytes(4, "big") + (0).to_bytes(2, "big")
        elif first_inner <= number < first_inner + streams:
            stream = first_stream + number - first_inner
            rows += bytes([2]) + stream.to_bytes(4, "big") + (0).to_bytes(2, "big")
        elif number == xref_number:
            rows += bytes([1]) + len(out).to_bytes(4, "big") + (0).to_bytes(2, "big")
        else:
            rows += (
                bytes([0])
                + (0).to_bytes(4, "big")
                + (65535 if number == 0 else 0).to_bytes(2, "big")
            )
    xref_offset = len(out)
    packed = zlib.compress(bytes(rows))
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [ 1 4 2 ] /Root 1 0 R /Filter /FlateDecode "
        b"/Length %d >>\nstream\n" % (xref_number, size, len(packed))
    )
    out += packed + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def make_api_key(
    *, units: list[Unit] | tuple[Unit, ...], name: str | None = None, actor: Any = None
) -> tuple[ApiKey, str]:
    """An API key for the units; returns (row, the key to send as Bearer)."""
    return api_key_create(name=name or f"ERP {next(_seq)}", units=list(units), actor=actor)


def birth_date_for_age(years: int, days: int = 0, *, on: date | None = None) -> date:
    """The birth date of someone who is `years` years and `days` days old on `on` (today)."""
    on = on or timezone.localdate()
    try:
        anniversary = on.replace(year=on.year - years)
    except ValueError:  # 29 February in a common year
        anniversary = on.replace(year=on.year - years, day=28)
    return anniversary - timedelta(days=days)


def make_document_type_signer(
    document_type: DocumentType, person: Person, **kwargs: Any
) -> DocumentTypeSigner:
    defaults: dict[str, Any] = {"role": DocumentTypeSigner.Role.INSTITUTION, "group": 2}
    defaults.update(kwargs)
    return DocumentTypeSigner.objects.create(document_type=document_type, person=person, **defaults)


def make_signer_registration(
    config: SignatureConfig, person: Person | None = None, **kwargs: Any
) -> SignerRegistration:
    person = person or make_person(config.unit)
    defaults: dict[str, Any] = {
        "unit": person.unit,
        "name": person.name,
        "email": person.email,
        "cpf": person.cpf,
    }
    defaults.update(kwargs)
    return SignerRegistration.objects.create(config=config, person=person, **defaults)


def make_signer_input(**kwargs: Any) -> SignerInput:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "name": f"Signatária Teste {letters(n)}",
        "email": f"signataria{n}@example.com",
        "cpf": make_cpf(n),
        "role": "student",
    }
    defaults.update(kwargs)
    return SignerInput(**defaults)


def make_signature_request(
    unit: Unit | None = None,
    document_type: DocumentType | None = None,
    *,
    signers: list[SignerInput] | None = None,
    documents: list[DocumentInput] | None = None,
    status: str | None = None,
    signed_pdf: bytes | None = None,
    **kwargs: Any,
) -> SignatureRequest:
    """A request created through `signature_request_create` (files stored, dispatch enqueued).

    Defaults: a new unit with a sandbox configuration and document type, one PDF, one adult
    student signer. `status` forces a status afterwards (for tests of later stages);
    `signed_pdf` archives that content as the signed file of every document.
    """
    if document_type is None:
        unit = unit or make_unit()
        document_type = make_document_type(make_config(unit))
    unit = unit or document_type.units.first()
    assert unit is not None
    kwargs.setdefault("title", f"Contrato de teste {next(_seq)}")
    request = signature_request_create(
        unit=unit,
        document_type=document_type,
        documents=documents or [DocumentInput(filename="contrato.pdf", content=make_pdf_bytes())],
        signers=signers if signers is not None else [make_signer_input()],
        **kwargs,
    ).request
    if status is not None:
        SignatureRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus(status), status_changed_at=timezone.now()
        )
    if signed_pdf is not None:
        import hashlib

        for document in request.documents.all():
            document.signed_file.save(
                f"{document.public_id}.pdf", ContentFile(signed_pdf), save=False
            )
            document.signed_sha256 = hashlib.sha256(signed_pdf).hexdigest()
            document.signed_size = len(signed_pdf)
            document.signed_archived_at = timezone.now()
            document.save()
    request.refresh_from_db()
    return request
