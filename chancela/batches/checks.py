"""The pre-flight check of a batch: every problem of every row, before anything is sent.

``row_problems`` lists all problems of one row's fields (not only the first), in plain
Portuguese, each with the field it concerns; when the fields are fine it also runs the signer
plan ``signature_request_plan`` (the very rules ``signature_request_create`` applies: legal
capacity, duplicate signers, the document type's fixed signers), so a row that passes the
pre-flight is a row the creation accepts. ``duplicates_find`` marks rows repeating an earlier
included row (same student code, CPF or external id). PDF problems come from
``chancela.core.pdf.pdf_inspect`` when the file is stored.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chancela.core.people import (
    cpf_is_valid,
    cpf_normalize,
    email_is_valid,
    name_is_complete,
    phone_is_valid,
)
from chancela.esign.models import DocumentType
from chancela.institutions.models import Unit
from chancela.signing.errors import SigningError
from chancela.signing.inputs import GuardianInput, StudentInput
from chancela.signing.planning import (
    PlanContext,
    signature_request_plan,
    signature_request_plan_context,
)
from chancela.signing.rules import ASSISTANCE_AGE, MAJORITY_AGE, age_on

Problem = dict[str, str]

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
PARTIES = (
    ("guardian", "responsável"),
    ("financial", "responsável financeiro"),
)
YES = {"sim", "s", "yes", "y", "true", "1", "x"}
NO = {"", "nao", "não", "n", "no", "false", "0"}


def _problem(field: str, code: str, message: str) -> Problem:
    return {"field": field, "code": code, "message": message}


# Looks like a date (dd/mm/aaaa, aaaa-mm-dd…) even when the day does not exist (31/02/2012).
_DATE_SHAPE = re.compile(r"^(\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2})$")


@functools.lru_cache(maxsize=4096)  # a school's students share a few thousand birth dates
def parse_birth_date(value: str) -> date | None:
    text = (value or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_flag(value: str) -> bool | None:
    text = (value or "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def _person_problems(
    data: dict[str, str], prefix: str, label: str, *, required: bool, email_required: bool = True
) -> list[Problem]:
    name = " ".join((data.get(f"{prefix}_name") or "").split())
    email = (data.get(f"{prefix}_email") or "").strip()
    cpf = (data.get(f"{prefix}_cpf") or "").strip()
    phone = (data.get(f"{prefix}_phone") or "").strip()
    if not required and not (name or email or cpf or phone):
        return []
    problems = []
    if not name:
        problems.append(_problem(f"{prefix}_name", "name_required", f"Falta o nome do {label}."))
    elif not name_is_complete(name):
        problems.append(
            _problem(
                f"{prefix}_name",
                "name_incomplete",
                f"O nome do {label} (“{name[:60]}”) não é completo: informe nome e sobrenome, "
                "sem números.",
            )
        )
    if not email:
        if email_required:
            problems.append(
                _problem(f"{prefix}_email", "email_required", f"Falta o e-mail do {label}.")
            )
    else:
        if not email_is_valid(email):
            problems.append(
                _problem(
                    f"{prefix}_email",
                    "email_invalid",
                    f"O e-mail do {label} (“{email[:80]}”) é inválido.",
                )
            )
    if cpf and not cpf_is_valid(cpf):
        problems.append(
            _problem(
                f"{prefix}_cpf",
                "cpf_invalid",
                f"O CPF do {label} é inválido: confira os dígitos verificadores.",
            )
        )
    if phone and not phone_is_valid(phone):
        problems.append(
            _problem(
                f"{prefix}_phone",
                "phone_invalid",
                f"O telefone do {label} é inválido: informe DDD e número.",
            )
        )
    return problems


def _has_party(data: dict[str, str], prefix: str) -> bool:
    return any((data.get(f"{prefix}_{part}") or "").strip() for part in ("name", "email", "cpf"))


@dataclass(frozen=True)
class RowInputs:
    student: StudentInput
    guardians: list[GuardianInput]


def row_inputs(data: dict[str, str]) -> RowInputs:
    """The signing inputs of a row (call only on a row without problems)."""
    student = StudentInput(
        name=data.get("student_name", ""),
        email=data.get("student_email", ""),
        cpf=data.get("student_cpf", ""),
        phone=data.get("student_phone", ""),
        birth_date=parse_birth_date(data.get("student_birth_date", "")),
        emancipated=bool(parse_flag(data.get("emancipated", ""))),
    )
    guardians = []
    for prefix, role in (("guardian", "guardian"), ("financial", "financial_guardian")):
        if _has_party(data, prefix):
            guardians.append(
                GuardianInput(
                    name=data.get(f"{prefix}_name", ""),
                    email=data.get(f"{prefix}_email", ""),
                    cpf=data.get(f"{prefix}_cpf", ""),
                    phone=data.get(f"{prefix}_phone", ""),
                    role=role,
                )
            )
    return RowInputs(student=student, guardians=guardians)


PLAN_FIELD = {
    "student": "student",
    "guardians[0]": "guardian",
    "guardians[1]": "financial",
}


def _plan_field(path: str | None, data: dict[str, str]) -> str:
    """Map a signing input path (``guardians[0].email``) to a batch column key."""
    if not path:
        return "row"
    head, _, tail = path.partition(".")
    prefix = PLAN_FIELD.get(head)
    if head.startswith("guardians[") and not _has_party(data, "guardian"):
        prefix = "financial"
    if prefix is None:
        return "row"
    if tail == "birth_date" and prefix == "student":
        return "student_birth_date"
    if tail == "emancipated":
        return "emancipated"
    return f"{prefix}_{tail}" if tail else f"{prefix}_name"


def plan_context_for(*, unit: Unit, document_type: DocumentType) -> PlanContext | None:
    """The shared part of every row's signer plan, or None when it fails (each row then
    reports the failure itself)."""
    try:
        return signature_request_plan_context(unit=unit, document_type=document_type)
    except SigningError:
        return None


def row_problems(
    data: dict[str, str],
    *,
    unit: Unit,
    document_type: DocumentType,
    today: date,
    context: PlanContext | None = None,
    biometrics_justification: str = "",
) -> list[Problem]:
    """Every problem of a row's fields (the PDF is checked separately)."""
    problems: list[Problem] = []
    code = (data.get("student_code") or "").strip()
    if not code:
        problems.append(
            _problem("student_code", "code_required", "Falta o código do aluno (nomeia o PDF).")
        )
    elif not CODE_PATTERN.match(code):
        problems.append(
            _problem(
                "student_code",
                "code_invalid",
                "O código do aluno tem até 40 letras, números, ponto, hífen ou sublinhado.",
            )
        )
    raw_birth = (data.get("student_birth_date") or "").strip()
    birth = parse_birth_date(raw_birth)
    emancipated = parse_flag(data.get("emancipated", ""))
    # Under 16 (not emancipated) the guardian signs for the student: no e-mail needed.
    student_signs = not (
        birth is not None and not emancipated and age_on(birth, today) < ASSISTANCE_AGE
    )
    problems += _person_problems(
        data, "student", "aluno", required=True, email_required=student_signs
    )
    if not raw_birth:
        problems.append(
            _problem(
                "student_birth_date",
                "birth_date_required",
                "Falta a data de nascimento do aluno: ela decide quem assina.",
            )
        )
    elif birth is None:
        problems.append(
            _problem(
                "student_birth_date",
                "birth_date_invalid",
                (
                    f"A data de nascimento “{raw_birth[:20]}” não existe: confira o dia e o mês."
                    if _DATE_SHAPE.match(raw_birth.strip())
                    else f"Data de nascimento “{raw_birth[:20]}” em formato desconhecido: "
                    "use dd/mm/aaaa."
                ),
            )
        )
    elif birth > today:
        problems.append(
            _problem(
                "student_birth_date", "birth_date_future", "A data de nascimento está no futuro."
            )
        )
    if emancipated is None:
        problems.append(
            _problem("emancipated", "emancipated_invalid", "Emancipado: use sim ou não.")
        )
    # Either guardian satisfies the capacity rule, as in ``signature_request_plan``.
    has_guardian = _has_party(data, "guardian") or _has_party(data, "financial")
    problems += _person_problems(data, "guardian", "responsável", required=False)
    problems += _person_problems(data, "financial", "responsável financeiro", required=False)
    if birth is not None and birth <= today:
        age = age_on(birth, today)
        if emancipated and age < ASSISTANCE_AGE:
            problems.append(
                _problem(
                    "emancipated",
                    "emancipated_under_16",
                    f"O aluno tem {age} anos: a emancipação só é possível a partir dos 16.",
                )
            )
        elif not emancipated and age < MAJORITY_AGE and not has_guardian:
            problems.append(
                _problem(
                    "guardian_name",
                    "guardian_required",
                    f"Aluno menor de idade ({age} anos) sem responsável: informe o responsável "
                    "legal, que assina " + ("por ele." if age < ASSISTANCE_AGE else "com ele."),
                )
            )
    external_id = (data.get("external_id") or "").strip()
    if len(external_id) > 100 or any(not ch.isprintable() for ch in external_id):
        problems.append(
            _problem(
                "external_id",
                "external_id_invalid",
                "O external_id tem no máximo 100 caracteres, sem caracteres de controle.",
            )
        )
    if problems:
        return problems
    inputs = row_inputs(data)
    try:
        signature_request_plan(
            unit=unit,
            document_type=document_type,
            student=inputs.student,
            guardians=inputs.guardians,
            on=today,
            context=context,
            biometrics_justification=biometrics_justification,
        )
    except SigningError as error:
        problems.append(_problem(_plan_field(error.field, data), error.code, error.message))
    return problems


def duplicate_keys(data: dict[str, Any]) -> list[str]:
    keys = []
    code = (data.get("student_code") or "").strip().lower()
    if code:
        keys.append(f"code:{code}")
    cpf = cpf_normalize(data.get("student_cpf"))
    if len(cpf) == 11:
        keys.append(f"cpf:{cpf}")
    external_id = (data.get("external_id") or "").strip()
    if external_id:
        keys.append(f"ext:{external_id}")
    return keys


def duplicates_find(rows: Iterable[tuple[int, dict[str, Any]]]) -> dict[int, int]:
    """{line: earlier line it repeats} among the given (included) rows, in line order."""
    seen: dict[str, int] = {}
    duplicates: dict[int, int] = {}
    for line, data in sorted(rows, key=lambda item: item[0]):
        keys = duplicate_keys(data)
        first = next((seen[key] for key in keys if key in seen), None)
        if first is not None:
            duplicates[line] = first
            continue
        for key in keys:
            seen[key] = line
    return duplicates
