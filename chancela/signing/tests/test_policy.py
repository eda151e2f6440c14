"""The signature policy of a document type, enforced alike on the send screen, the host API and
a batch (one check: ``chancela.signing.policy``, reached through the signer plan)."""

from __future__ import annotations

import base64
import html as html_lib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chancela.batches.checks import row_problems
from chancela.batches.errors import BatchError
from chancela.batches.models import RowState
from chancela.batches.services import batch_process, batch_start
from chancela.batches.tests.helpers import good_row, make_batch
from chancela.esign.models import DocumentType
from chancela.signing.models import RequestEvent, SignatureRequest
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    birth_date_for_age,
    make_api_key,
    make_config,
    make_cpf,
    make_document_type,
    make_document_type_signer,
    make_pdf_bytes,
    make_person,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db
API_URL = "/api/v1/signature-requests"
SEND_URL = "/enviar/"
CHANNELS = ("screen", "api", "batch")


@dataclass
class Case:
    """One rule, one situation: the policy, the type's fixed signers, who else signs."""

    id: str
    policy: dict[str, Any]
    refused: str | None = None  # the expected error code, None when accepted
    rule: str = ""  # the rule's name, as the refusal names it
    fixed: list[tuple[str, int]] = field(default_factory=list)  # (role, group)
    financial: bool = False
    deadline_days: int | None = None
    channels: tuple[str, ...] = CHANNELS


CASES = [
    Case("role_present", {"required_roles": ["financial_guardian"]}, financial=True),
    Case(
        "role_missing",
        {"required_roles": ["financial_guardian"]},
        refused="policy_role_missing",
        rule="papéis obrigatórios",
    ),
    Case("institution_present", {"required_roles": ["institution"]}, fixed=[("institution", 2)]),
    Case(
        "institution_missing",
        {"required_roles": ["institution"]},
        refused="policy_role_missing",
        rule="papéis obrigatórios",
    ),
    Case("two_witnesses", {"min_witnesses": 2}, fixed=[("witness", 2), ("witness", 2)]),
    Case(
        "one_witness",
        {"min_witnesses": 2},
        fixed=[("witness", 2)],
        refused="policy_witnesses_missing",
        rule="testemunhas",
    ),
    Case("parallel_one_group", {"signing_order": "parallel"}, fixed=[("institution", 1)]),
    Case(
        "parallel_two_groups",
        {"signing_order": "parallel"},
        fixed=[("institution", 2)],
        refused="policy_order_parallel",
        rule="assinatura em paralelo",
    ),
    Case("ordered", {"signing_order": "ordered"}, fixed=[("institution", 1)], financial=True),
    Case("required_auths", {"required_auths": ["handwritten", "official_document"]}),
    Case("deadline_within", {"max_deadline_days": 10}, deadline_days=5),
    Case(
        "deadline_beyond",
        {"max_deadline_days": 10},
        deadline_days=20,
        refused="policy_deadline_too_far",
        rule="prazo máximo",
        # A batch has no deadline of its own: it uses the type's default, which the document
        # type screen keeps within the maximum (test_it_keeps_the_default_within_the_maximum).
        channels=("screen", "api"),
    ),
    Case(
        "icp_brasil",
        {"legal_category": "icp_brasil"},
        refused="icp_brasil_required",
        rule="exige ICP-Brasil",
    ),
]


@dataclass
class Sent:
    request: SignatureRequest | None
    code: str | None
    message: str


class School:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.unit = make_unit(code="CENTRO", name="Colégio Centro")
        self.config = make_config(self.unit)
        self.user = make_user(units=[self.unit], perms=[SEND_DOCUMENTS])
        self.api_key, self.key = make_api_key(units=[self.unit])

    def document_type(self, case: Case, **extra: Any) -> DocumentType:
        policy = {**case.policy, **extra}
        if "max_deadline_days" in policy:
            policy.setdefault("default_deadline_days", policy["max_deadline_days"])
        document_type = make_document_type(self.config, **policy)
        for index, (role, group) in enumerate(case.fixed):
            person = make_person(self.unit, name=f"Pessoa Fixa {'ABCDE'[index]} Souza")
            make_document_type_signer(document_type, person, role=role, group=group)
        return document_type

    # --- the three ways in -----------------------------------------------------------
    def send(self, channel: str, document_type: DocumentType, case: Case) -> Sent:
        return getattr(self, f"_send_{channel}")(document_type, case)

    def _signers(self, case: Case) -> list[dict[str, Any]]:
        signers = [
            {
                "name": "Gabriela Moura Lima",
                "email": "gabriela@example.com",
                "cpf": make_cpf(11),
                "role": "student",
            }
        ]
        if case.financial:
            signers.append(
                {
                    "name": "Vera Barbosa Melo",
                    "email": "vera@example.com",
                    "cpf": make_cpf(12),
                    "role": "financial_guardian",
                }
            )
        return signers

    def _send_api(self, document_type: DocumentType, case: Case) -> Sent:
        body: dict[str, Any] = {
            "external_id": f"POL-{case.id}",
            "unit": self.unit.code,
            "document_type": document_type.code,
            "title": "Documento de teste",
            "documents": [
                {"filename": "doc.pdf", "content_base64": base64.b64encode(_pdf()).decode()}
            ],
            "signers": self._signers(case),
        }
        if case.deadline_days:
            body["deadline_at"] = (timezone.now() + timedelta(days=case.deadline_days)).isoformat()
        response = self.client.post(
            API_URL,
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )
        data = response.json()
        if response.status_code in (200, 201):
            return Sent(SignatureRequest.objects.get(public_id=data["id"]), None, "")
        return Sent(None, data["code"], data["message"])

    def _send_screen(self, document_type: DocumentType, case: Case) -> Sent:
        self.client.force_login(self.user)
        data: dict[str, Any] = {
            "unit": self.unit.pk,
            "document_type": document_type.pk,
            "mode": "manual",
            "channel": "email",
            "signers-INITIAL_FORMS": "0",
        }
        signers = self._signers(case)
        data["signers-TOTAL_FORMS"] = str(len(signers))
        for index, signer in enumerate(signers):
            for name in ("name", "email", "cpf", "role"):
                data[f"signers-{index}-{name}"] = signer[name]
            data[f"signers-{index}-group"] = "1"
            data[f"signers-{index}-channel"] = "email"
        if case.deadline_days:
            data["deadline"] = (
                timezone.localdate() + timedelta(days=case.deadline_days)
            ).isoformat()
        upload = io.BytesIO(_pdf())
        upload.name = "doc.pdf"
        preview = self.client.post(SEND_URL, {**data, "documents": upload, "action": "preview"})
        page = preview.content.decode()
        token = _hidden(page, "preview_token")
        if token:
            sent = self.client.post(
                SEND_URL,
                {
                    **data,
                    "staged": _hidden(page, "staged"),
                    "preview_token": token,
                    "action": "send",
                },
            )
            if sent.status_code == 302:
                return Sent(SignatureRequest.objects.get(), None, "")
            page = sent.content.decode()
        errors = re.findall(
            r'<(?:ul class="errorlist|div class="form-errors)[^>]*>(.*?)</(?:ul|div)>', page, re.S
        )
        return Sent(None, "refused", html_lib.unescape(" ".join(errors)))

    def _send_batch(self, document_type: DocumentType, case: Case) -> Sent:
        row = good_row(1, age=20, guardian_name="", guardian_email="", guardian_cpf="")
        row["guardian_phone"] = ""
        if case.financial:
            row.update(
                financial_name="Vera Barbosa Melo",
                financial_email="vera@example.com",
                financial_cpf=make_cpf(12),
            )
        problems = row_problems(
            row, unit=self.unit, document_type=document_type, today=timezone.localdate()
        )
        try:
            batch = make_batch(self.unit, document_type, [row], title="Lote")
        except BatchError as error:  # the whole batch is refused (the type cannot be sent)
            assert problems and problems[0]["code"] == error.code
            return Sent(None, error.code, error.message)
        stored = batch.rows.get()
        assert stored.problems == problems  # the pre-flight is what the batch stores
        if problems:
            return Sent(None, problems[0]["code"], problems[0]["message"])
        batch_start(batch=batch)
        batch_process(batch_id=str(batch.public_id))
        stored.refresh_from_db()
        assert stored.state == RowState.CREATED, stored.error
        return Sent(stored.request, None, "")


def _pdf() -> bytes:
    return make_pdf_bytes()


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    return html_lib.unescape(match.group(1)) if match else ""


@pytest.fixture
def school(client: Any) -> School:
    return School(client)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_it_enforces_each_rule_of_the_policy_on_every_way_in(school, case, channel):
    if channel not in case.channels:
        pytest.skip("not applicable to this way in (see the case)")
    document_type = school.document_type(case)
    sent = school.send(channel, document_type, case)
    if case.refused:
        assert sent.request is None
        assert not SignatureRequest.objects.exists()
        if channel != "screen":  # the screen shows the message, not the code
            assert sent.code == case.refused
        assert f"Regra “{case.rule}” do tipo de documento “{document_type.name}”" in sent.message
        return
    assert sent.request is not None, sent.message
    signers = list(sent.request.signers.all())
    if case.id == "ordered":
        assert sorted(s.group for s in signers) == list(range(1, len(signers) + 1))
    if case.id == "required_auths":
        assert all({"handwritten", "official_document"} <= set(s.auths) for s in signers)
        assert sent.request.requirements.filter(value="official_document").count() == len(signers)
    if "max_deadline_days" in case.policy:
        limit = timezone.now() + timedelta(days=case.policy["max_deadline_days"])
        assert sent.request.deadline_at <= limit


@pytest.mark.parametrize("channel", CHANNELS)
def test_it_never_sends_an_icp_brasil_type_through_clicksign_and_cites_the_rule(school, channel):
    document_type = school.document_type(Case("x", {}), legal_category="icp_brasil")
    sent = school.send(channel, document_type, Case("icp", {}))
    assert sent.request is None
    assert "certificado digital ICP-Brasil" in sent.message
    assert "Portaria" in sent.message and "554/2019" in sent.message
    assert "MP 2.200-2/2001" in sent.message


def test_it_cites_the_document_types_own_regulation_when_given(school):
    document_type = school.document_type(
        Case("x", {}),
        legal_category="icp_brasil",
        legal_basis="Resolução CEE-CE nº 490/2022 (certificados digitais)",
    )
    sent = school.send("api", document_type, Case("icp", {}))
    assert sent.code == "icp_brasil_required"
    assert "Resolução CEE-CE nº 490/2022" in sent.message


def test_it_keeps_the_default_within_the_maximum_on_the_document_type_screen(client, school):
    from chancela.testing.factories import MANAGE_CONFIG

    client.force_login(make_user(units=[school.unit], perms=[MANAGE_CONFIG]))
    data = {
        "code": "DECL",
        "name": "Declaração",
        "units": [school.unit.pk],
        "config": school.config.pk,
        "default_deadline_days": 30,
        "max_deadline_days": 10,
        "remind_interval": 3,
        "active": "on",
    }
    refused = client.post("/tipos-de-documento/novo/", data)
    assert refused.status_code == 200
    assert "passa do prazo máximo do tipo (10 dias)" in html_lib.unescape(refused.content.decode())
    data.update(
        default_deadline_days=10,
        legal_category="icp_brasil",
        required_roles=["institution", "financial_guardian"],
        required_auths=["selfie"],
        min_witnesses=2,
        signing_order="ordered",
        minor_biometrics_justification="Exigência do contrato de prevenção a fraudes.",
        retention_signed_days=3650,
        retention_unsigned_days=90,
    )
    saved = client.post("/tipos-de-documento/novo/", data)
    assert saved.status_code == 302
    stored = DocumentType.objects.get(code="DECL")
    assert stored.legal_category == "icp_brasil" and stored.min_witnesses == 2
    assert set(stored.required_roles) == {"institution", "financial_guardian"}
    assert stored.required_auths == ["selfie"] and stored.signing_order == "ordered"
    assert (stored.max_deadline_days, stored.retention_unsigned_days) == (10, 90)


# --- minors and biometrics ------------------------------------------------------------------

BIOMETRICS = [
    # (age, justification given, accepted, a minor gives biometrics)
    (15, "", True, False),  # under 16 the guardian signs for the student: no minor's selfie
    (16, "", False, True),
    (16, "request", True, True),
    (16, "type", True, True),
    (17, "", False, True),
    (17, "request", True, True),
    (17, "type", True, True),
    (18, "", True, False),
]
JUSTIFICATION = "Selfie exigida para prevenir fraude na contratação (LGPD art. 11 II g)."


def _student_block(age: int) -> dict[str, Any]:
    return {
        "student": {
            "name": "Bruno Henrique Lima",
            "email": "bruno@example.com",
            "birth_date": birth_date_for_age(age, 10).isoformat(),
        },
        "guardians": [{"name": "Carla Souza Lima", "email": "carla@example.com"}],
    }


@pytest.mark.parametrize(("age", "given", "accepted", "minor"), BIOMETRICS)
def test_it_requires_a_justification_for_biometrics_of_a_minor_in_the_api(
    school, age, given, accepted, minor
):
    extra = {"required_auths": ["selfie"]}
    if given == "type":
        extra["minor_biometrics_justification"] = JUSTIFICATION
    document_type = school.document_type(Case("x", {}), **extra)
    body: dict[str, Any] = {
        "external_id": f"BIO-{age}",
        "unit": school.unit.code,
        "document_type": document_type.code,
        "title": "Contrato",
        "documents": [{"filename": "c.pdf", "content_base64": base64.b64encode(_pdf()).decode()}],
        **_student_block(age),
    }
    if given == "request":
        body["biometrics_justification"] = JUSTIFICATION
    response = school.client.post(
        API_URL,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {school.key}",
    )
    if not accepted:
        assert response.status_code == 422
        error = response.json()
        assert error["code"] == "biometrics_justification_required"
        assert error["field"] == "biometrics_justification"
        assert f"Bruno Henrique Lima ({age} anos)" in error["message"]
        assert "LGPD arts. 11 e 14" in error["message"]
        return
    assert response.status_code == 201, response.json()
    request = SignatureRequest.objects.get()
    events = RequestEvent.objects.filter(request=request, kind="biometrics_justified")
    if minor:
        event = events.get()
        assert JUSTIFICATION in event.message and f"({age} anos)" in event.message
        source = "informada no envio" if given == "request" else "do tipo de documento"
        assert source in event.message
    else:
        assert not events.exists()


@pytest.mark.parametrize(("age", "given", "accepted", "minor"), BIOMETRICS)
def test_it_requires_a_justification_for_biometrics_of_a_minor_in_a_batch(
    school, age, given, accepted, minor
):
    extra = {"required_auths": ["selfie"]}
    if given == "type":
        extra["minor_biometrics_justification"] = JUSTIFICATION
    document_type = school.document_type(Case("x", {}), **extra)
    batch = make_batch(
        school.unit,
        document_type,
        [good_row(1, age=age)],
        biometrics_justification=JUSTIFICATION if given == "request" else "",
    )
    row = batch.rows.get()
    if not accepted:
        assert [p["code"] for p in row.problems] == ["biometrics_justification_required"]
        assert f"({age} anos)" in row.problems[0]["message"]
        return
    assert row.problems == []
    batch_start(batch=batch)
    batch_process(batch_id=str(batch.public_id))
    row.refresh_from_db()
    assert row.state == RowState.CREATED, row.error
    events = RequestEvent.objects.filter(request=row.request, kind="biometrics_justified")
    assert events.exists() is minor
    if minor:
        source = "informada no envio" if given == "request" else "do tipo de documento"
        assert JUSTIFICATION in events.get().message and source in events.get().message


@pytest.mark.parametrize(("age", "given", "accepted", "minor"), BIOMETRICS)
def test_it_requires_a_justification_for_biometrics_of_a_minor_on_the_screen(
    client, school, age, given, accepted, minor
):
    extra = {"required_auths": ["selfie"]}
    if given == "type":
        extra["minor_biometrics_justification"] = JUSTIFICATION
    document_type = school.document_type(Case("x", {}), **extra)
    request_extra = {"biometrics_justification": JUSTIFICATION} if given == "request" else {}
    text, sent = _screen_send_student(
        client, school, document_type, age=age, email="bruno@example.com", **request_extra
    )
    if not accepted:
        assert sent is None
        assert "biometria de menores" in text and f"({age} anos)" in text
        return
    assert sent.status_code == 302
    timeline = html_lib.unescape(client.get(sent["Location"]).content.decode())
    assert (JUSTIFICATION in timeline) is minor


def _today() -> Any:
    return timezone.localdate()


def test_it_accepts_no_e_mail_for_a_student_who_does_not_sign_in_the_api(school):
    document_type = school.document_type(Case("x", {}))
    block = _student_block(15)
    block["student"]["email"] = ""
    body: dict[str, Any] = {
        "external_id": "NO-MAIL",
        "unit": school.unit.code,
        "document_type": document_type.code,
        "title": "Declaração",
        "documents": [{"filename": "c.pdf", "content_base64": base64.b64encode(_pdf()).decode()}],
        **block,
    }
    post = {
        "data": json.dumps(body),
        "content_type": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {school.key}",
    }
    response = school.client.post(API_URL, **post)
    assert response.status_code == 201, response.json()
    assert [s.role for s in SignatureRequest.objects.get().signers.all()] == ["guardian"]
    body["student"].pop("email")
    body["external_id"] = "NO-MAIL-2"
    post["data"] = json.dumps(body)
    assert school.client.post(API_URL, **post).status_code == 201
    # At 16 the student signs too: his e-mail is needed.
    body["student"]["birth_date"] = birth_date_for_age(16, 10).isoformat()
    body["external_id"] = "NO-MAIL-3"
    post["data"] = json.dumps(body)
    refused = school.client.post(API_URL, **post)
    assert refused.status_code == 422
    assert refused.json()["code"] == "email_required"
    assert refused.json()["field"] == "student.email"


def test_it_accepts_no_e_mail_for_a_student_who_does_not_sign_on_the_screen(client, school):
    document_type = school.document_type(Case("x", {}))
    _, sent = _screen_send_student(client, school, document_type, age=12, email="")
    assert sent.status_code == 302
    assert SignatureRequest.objects.get().student_name == "Bruno Henrique Lima"


def _screen_send_student(
    client: Any, school: School, document_type: DocumentType, *, age: int, email: str, **extra: Any
) -> tuple[str, Any]:
    """Preview a student-mode send on the screen, then send it when the preview allows.

    Returns the preview page (unescaped) and the send response (None when refused)."""
    mother = make_person(school.unit, name="Carla Souza Lima", email="carla@example.com")
    student = make_person(
        school.unit,
        name="Bruno Henrique Lima",
        email=email,
        birth_date=birth_date_for_age(age, 10),
    )
    student.guardians.add(mother)
    client.force_login(school.user)
    data: dict[str, Any] = {
        "unit": school.unit.pk,
        "document_type": document_type.pk,
        "mode": "student",
        "channel": "email",
        "student": str(student.public_id),
        "guardians": [str(mother.public_id)],
        "signers-TOTAL_FORMS": "0",
        "signers-INITIAL_FORMS": "0",
        **extra,
    }
    upload = io.BytesIO(_pdf())
    upload.name = "c.pdf"
    page = client.post(SEND_URL, {**data, "documents": upload, "action": "preview"})
    text = html_lib.unescape(page.content.decode())
    token = _hidden(text, "preview_token")
    if not token:
        return text, None
    sent = client.post(
        SEND_URL,
        {**data, "staged": _hidden(text, "staged"), "preview_token": token, "action": "send"},
    )
    return text, sent


def test_it_marks_an_icp_brasil_type_on_the_send_screen(client, school):
    school.document_type(Case("x", {}), legal_category="icp_brasil", name="Diploma digital")
    client.force_login(school.user)
    page = html_lib.unescape(client.get(SEND_URL).content.decode())
    assert "Diploma digital (exige ICP-Brasil: não é enviado pela Clicksign)" in page


def test_it_takes_a_batchs_biometrics_justification_through_the_api(school):
    document_type = school.document_type(Case("x", {}), required_auths=["selfie"])
    row: dict[str, Any] = dict(good_row(1, age=17))
    row["document"] = {
        "filename": f"{row['student_code']}.pdf",
        "content_base64": base64.b64encode(_pdf()).decode(),
    }
    body = {
        "unit": school.unit.code,
        "document_type": document_type.code,
        "title": "Rematrícula",
        "rows": [row],
        "start": False,
    }
    post = {"content_type": "application/json", "HTTP_AUTHORIZATION": f"Bearer {school.key}"}
    refused = school.client.post("/api/v1/batches", data=json.dumps(body), **post).json()
    assert refused["rows"][0]["problems"][0]["code"] == "biometrics_justification_required"
    body["biometrics_justification"] = JUSTIFICATION
    accepted = school.client.post("/api/v1/batches", data=json.dumps(body), **post).json()
    assert accepted["rows"][0]["problems"] == []
