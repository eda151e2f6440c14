"""Who signs for a student: legal capacity on the send date (Civil Code arts. 3, 4, 5)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from chancela.signing.errors import SigningError
from chancela.signing.inputs import CapacityOverride, DocumentInput, GuardianInput, StudentInput
from chancela.signing.models import SignatureRequest
from chancela.signing.planning import signature_request_plan
from chancela.signing.rules import age_on
from chancela.signing.services import signature_request_create
from chancela.testing.factories import (
    birth_date_for_age,
    make_config,
    make_document_type,
    make_pdf_bytes,
    make_unit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def document_type():
    unit = make_unit()
    return make_document_type(make_config(unit))


def student(years: int, days: int = 0, *, emancipated: bool = False) -> StudentInput:
    return StudentInput(
        name="Ana Beatriz Souza",
        email="ana@example.com",
        birth_date=birth_date_for_age(years, days),
        emancipated=emancipated,
    )


MOTHER = GuardianInput(name="Patrícia Souza", email="patricia@example.com")
FATHER_PAYS = GuardianInput(
    name="Marcos Souza", email="marcos@example.com", role="financial_guardian"
)


def roles(plan) -> list[tuple[str, str]]:
    return [(s.role, s.name) for s in plan.signers]


@pytest.mark.parametrize(
    ("years", "days", "emancipated", "code", "signers", "text"),
    [
        (
            15,
            364,
            False,
            "represented",
            ["guardian"],
            "Aluno com 15 anos: assina o responsável (representação).",
        ),
        (
            16,
            0,
            False,
            "assisted",
            ["student", "guardian"],
            "Aluno com 16 anos: assinam o aluno e o responsável (assistência).",
        ),
        (
            17,
            364,
            False,
            "assisted",
            ["student", "guardian"],
            "Aluno com 17 anos: assinam o aluno e o responsável (assistência).",
        ),
        (
            18,
            0,
            False,
            "adult",
            ["student"],
            "Aluno com 18 anos: assina o próprio aluno. O responsável legal informado não assina.",
        ),
        (
            16,
            200,
            True,
            "emancipated",
            ["student"],
            "Aluno emancipado, com 16 anos: assina o próprio aluno. O responsável legal informado não assina.",
        ),
        (
            10,
            0,
            False,
            "represented",
            ["guardian"],
            "Aluno com 10 anos: assina o responsável (representação).",
        ),
        (
            30,
            0,
            False,
            "adult",
            ["student"],
            "Aluno com 30 anos: assina o próprio aluno. O responsável legal informado não assina.",
        ),
    ],
    ids=["15y364d", "16y", "17y364d", "18y", "emancipated-16", "10y", "30y"],
)
def test_it_follows_legal_capacity_at_the_boundaries(
    document_type, years, days, emancipated, code, signers, text
):
    plan = signature_request_plan(
        unit=document_type.units.get(),
        document_type=document_type,
        student=student(years, days, emancipated=emancipated),
        guardians=[MOTHER],
    )
    assert plan.rule_code == code
    assert [s.role for s in plan.signers] == signers
    assert plan.rule_text == text
    assert plan.student_name == "Ana Beatriz Souza"


def test_it_makes_the_financial_guardian_sign_as_contractor_at_any_age(document_type):
    plan = signature_request_plan(
        unit=document_type.units.get(),
        document_type=document_type,
        student=student(19),
        guardians=[MOTHER, FATHER_PAYS],
    )
    assert roles(plan) == [("student", "Ana Beatriz Souza"), ("financial_guardian", "Marcos Souza")]
    assert plan.signers[1].qualification == "contractor"
    assert "responsável financeiro assina como contratante" in plan.rule_text


def test_it_refuses_a_minor_without_a_guardian(document_type):
    with pytest.raises(SigningError) as error:
        signature_request_plan(
            unit=document_type.units.get(), document_type=document_type, student=student(15)
        )
    assert error.value.code == "guardian_required" and error.value.field == "guardians"


def test_it_refuses_an_emancipated_student_under_16(document_type):
    with pytest.raises(SigningError) as error:
        signature_request_plan(
            unit=document_type.units.get(),
            document_type=document_type,
            student=student(15, emancipated=True),
            guardians=[MOTHER],
        )
    assert error.value.field == "student.emancipated"


def test_it_records_an_override_with_its_reason_and_the_rule_it_replaced(document_type):
    unit = document_type.units.get()
    result = signature_request_create(
        unit=unit,
        document_type=document_type,
        title="Contrato",
        documents=[DocumentInput(filename="c.pdf", content=make_pdf_bytes())],
        student=student(17),
        guardians=[MOTHER],
        capacity_override=CapacityOverride(
            signers="guardians", reason="Aluno em intercâmbio, sem acesso ao e-mail"
        ),
    )
    request = SignatureRequest.objects.get(pk=result.request.pk)
    assert [s.role for s in request.signers.all()] == ["guardian"]
    assert request.capacity_rule_code == "override"
    assert request.capacity_override_reason == "Aluno em intercâmbio, sem acesso ao e-mail"
    assert request.capacity_rule.startswith(
        "Regra substituída pela equipe: assinam só os responsáveis. Motivo: Aluno em intercâmbio"
    )
    assert "Regra sugerida: Aluno com 17 anos" in request.capacity_rule


def test_it_requires_a_reason_to_override(document_type):
    with pytest.raises(SigningError) as error:
        signature_request_plan(
            unit=document_type.units.get(),
            document_type=document_type,
            student=student(15),
            guardians=[MOTHER],
            capacity_override=CapacityOverride(signers="student", reason="  "),
        )
    assert error.value.field == "capacity_override.reason"


def test_it_uses_the_send_date_in_sao_paulo_time():
    # 23:30 on 9 March in São Paulo is already 10 March in UTC: the birthday is not yet.
    born = date(2010, 3, 10)
    with time_machine.travel("2026-03-10T02:30:00+00:00", tick=False):
        assert timezone.localdate() == date(2026, 3, 9)
        assert age_on(born, timezone.localdate()) == 15


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2027, 2, 28), 18),
        (date(2027, 3, 1), 19),
        (date(2028, 2, 28), 19),
        (date(2028, 2, 29), 20),
    ],
)
def test_it_ages_a_leap_day_birth_on_1_march_in_common_years(on, age):
    assert age_on(date(2008, 2, 29), on) == age
