"""The pre-flight check: every problem of every row, before anything is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chancela.batches.checks import duplicates_find, row_problems
from chancela.batches.tests.helpers import good_row
from chancela.testing.factories import make_document_type_signer, make_person

pytestmark = pytest.mark.django_db


def problems_of(row, sendable):
    unit, document_type = sendable
    return row_problems(row, unit=unit, document_type=document_type, today=timezone.localdate())


def codes(problems):
    return {(p["field"], p["code"]) for p in problems}


def test_it_accepts_a_good_row(sendable):
    assert problems_of(good_row(1), sendable) == []


def test_it_lists_every_problem_of_a_row_not_only_the_first(sendable):
    row = good_row(
        1,
        student_name="Ana",
        student_email="ana-at-example.com",
        student_cpf="123.456.789-00",
        guardian_email="",
        guardian_cpf="11111111111",
        guardian_phone="123",
    )
    assert codes(problems_of(row, sendable)) == {
        ("student_name", "name_incomplete"),
        ("student_email", "email_invalid"),
        ("student_cpf", "cpf_invalid"),
        ("guardian_email", "email_required"),
        ("guardian_cpf", "cpf_invalid"),
        ("guardian_phone", "phone_invalid"),
    }


@pytest.mark.parametrize("age", [16, 17, 18])
def test_it_flags_a_missing_e_mail_of_a_student_who_signs(sendable, age):
    assert codes(problems_of(good_row(1, age=age, student_email=""), sendable)) == {
        ("student_email", "email_required")
    }


def test_it_accepts_no_e_mail_for_a_student_under_16_who_does_not_sign(sendable):
    assert problems_of(good_row(1, age=15, student_email=""), sendable) == []


def test_it_flags_a_one_word_name(sendable):
    problems = problems_of(good_row(1, guardian_name="Carlos"), sendable)
    assert codes(problems) == {("guardian_name", "name_incomplete")}
    assert "nome e sobrenome" in problems[0]["message"]


def test_it_flags_a_minor_without_a_guardian(sendable):
    row = good_row(
        1, age=15, guardian_name="", guardian_email="", guardian_cpf="", guardian_phone=""
    )
    problems = problems_of(row, sendable)
    assert codes(problems) == {("guardian_name", "guardian_required")}
    assert "15 anos" in problems[0]["message"]


def test_it_accepts_an_adult_without_a_guardian(sendable):
    row = good_row(
        1, age=19, guardian_name="", guardian_email="", guardian_cpf="", guardian_phone=""
    )
    assert problems_of(row, sendable) == []


def test_it_flags_a_missing_future_or_invalid_birth_date(sendable):
    future = (timezone.localdate() + timedelta(days=3)).strftime("%d/%m/%Y")
    assert codes(problems_of(good_row(1, student_birth_date=""), sendable)) == {
        ("student_birth_date", "birth_date_required")
    }
    assert codes(problems_of(good_row(1, student_birth_date="31/02/2010"), sendable)) == {
        ("student_birth_date", "birth_date_invalid")
    }
    # A date that does not exist is said not to exist; the format is blamed only when wrong.
    [problem] = problems_of(good_row(1, student_birth_date="31/02/2012"), sendable)
    assert problem["message"] == (
        "A data de nascimento “31/02/2012” não existe: confira o dia e o mês."
    )
    [problem] = problems_of(good_row(1, student_birth_date="fevereiro"), sendable)
    assert "formato desconhecido: use dd/mm/aaaa" in problem["message"]
    assert codes(problems_of(good_row(1, student_birth_date=future), sendable)) == {
        ("student_birth_date", "birth_date_future")
    }


def test_it_flags_an_emancipated_student_under_16(sendable):
    assert codes(problems_of(good_row(1, age=15, emancipated="sim"), sendable)) == {
        ("emancipated", "emancipated_under_16")
    }


def test_it_flags_a_missing_or_invalid_student_code(sendable):
    assert ("student_code", "code_required") in codes(
        problems_of(good_row(1, student_code=""), sendable)
    )
    assert ("student_code", "code_invalid") in codes(
        problems_of(good_row(1, student_code="../etc"), sendable)
    )


def test_it_applies_the_signer_plan_when_the_fields_are_fine(sendable):
    # Student and guardian with the same e-mail: the creation would refuse it, so does the check.
    row = good_row(1, age=17, guardian_email="aluno1@example.com")
    assert codes(problems_of(row, sendable)) == {("guardian_email", "duplicate_signer")}


def test_it_reports_a_fixed_signer_problem_of_the_document_type(sendable):
    unit, document_type = sendable
    person = make_person(unit, name="Diretora", email="diretora@example.com")
    make_document_type_signer(document_type, person)
    assert codes(problems_of(good_row(1), sendable)) == {("row", "fixed_signer_incomplete")}


def test_it_finds_duplicate_rows_by_code_cpf_or_external_id():
    rows = [
        (2, good_row(1)),
        (3, good_row(2)),
        (4, good_row(3, student_code="a00001")),  # same code as line 2 (any case)
        (5, good_row(4, student_cpf=good_row(2)["student_cpf"])),  # same CPF as line 3
        (6, good_row(5, external_id="X-1")),
        (7, good_row(6, external_id="X-1")),
    ]
    assert duplicates_find(rows) == {4: 2, 5: 3, 7: 6}
