"""The demo institution created by `seed_demo` (and used by `make run`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.utils import timezone

from chancela.esign.connection import (
    WebhookRegistration,
    signature_config_register_webhook,
    signature_config_test_connection,
)
from chancela.esign.models import SignatureConfig
from chancela.esign.services import (
    document_type_create,
    sharing_policy_set,
    signature_config_create,
    signature_config_update,
)
from chancela.institutions.models import Person, SharingType, Unit, UnitAccess, UnitGroup
from clicksign_emulator import DEMO_SANDBOX_TOKEN

DEMO_PASSWORD = "chancela-demo"
# DEMO_SANDBOX_TOKEN (imported above) is the token of the account the local Clicksign emulator
# creates at start-up.
DEMO_API_USER_EMAIL = "api@demo.chancela.local"

PROFILE_IT = "Administrador de TI"
PROFILE_OFFICE = "Secretaria acadêmica"

UNITS = [
    ("CENTRO", "Colégio Horizonte — Centro"),
    ("NORTE", "Colégio Horizonte — Zona Norte"),
    ("FACULDADE", "Faculdade Horizonte"),
]


# The people behind the demo logins: the header shows the first name and the profile.
DEMO_STAFF_NAMES = {
    "ti.centro": ("Rafael", "Mendes"),
    "secretaria.centro": ("Lúcia", "Andrade"),
    "ti.norte": ("Tiago", "Correia"),
    "secretaria.norte": ("Paula", "Vieira"),
    "ti.faculdade": ("Caio", "Moreira"),
    "secretaria.faculdade": ("Sônia", "Ribeiro"),
}


@dataclass
class DemoLogin:
    username: str
    password: str
    description: str


def _cpf(seed: int) -> str:
    base = [int(d) for d in f"{(seed * 7919 + 123456789) % 10**9:09d}"]
    if len(set(base)) == 1:
        base[0] = (base[0] + 1) % 10
    for size in (9, 10):
        total = sum(n * w for n, w in zip(base, range(size + 1, 1, -1), strict=True))
        base.append((total * 10) % 11 % 10)
    return "".join(map(str, base))


def _birth(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    try:
        anniversary = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - years, day=28)
    return anniversary - timedelta(days=days)


def _profile(name: str, perms: list[str]) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    for perm in perms:
        app_label, codename = perm.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return group


def demo_exists() -> bool:
    return UnitGroup.objects.filter(code="HORIZONTE").exists()


@transaction.atomic
def seed_demo() -> list[DemoLogin]:
    """Create the demo institution. Returns the demo logins (all with DEMO_PASSWORD)."""
    group = UnitGroup.objects.create(code="HORIZONTE", name="Rede Horizonte de Ensino")
    units = {code: Unit.objects.create(code=code, name=name, group=group) for code, name in UNITS}

    it_profile = _profile(PROFILE_IT, ["esign.manage_signature_config", "signing.send_documents"])
    office_profile = _profile(PROFILE_OFFICE, ["signing.send_documents"])

    logins = [DemoLogin("admin", DEMO_PASSWORD, "administrador geral (todas as unidades)")]
    admin = User.objects.create_superuser(
        "admin", "admin@demo.chancela.local", DEMO_PASSWORD, first_name="Admin"
    )
    for code, unit in units.items():
        slug = code.lower()
        for prefix, profile, label in (
            ("ti", it_profile, "TI / integração"),
            ("secretaria", office_profile, "secretaria acadêmica"),
        ):
            first_name, last_name = DEMO_STAFF_NAMES[f"{prefix}.{slug}"]
            user = User.objects.create_user(
                f"{prefix}.{slug}",
                f"{prefix}.{slug}@demo.chancela.local",
                DEMO_PASSWORD,
                first_name=first_name,
                last_name=last_name,
            )
            user.groups.add(profile)
            UnitAccess.objects.create(user=user, unit=unit)
            logins.append(DemoLogin(user.username, DEMO_PASSWORD, f"{label} — {unit.name}"))

    # One sandbox configuration for the whole network, pointing at the local emulator.
    sharing_policy_set(actor=admin, sharing_type=SharingType.UNIT_GROUP)
    config = signature_config_create(
        actor=admin,
        unit=units["CENTRO"],
        name="Clicksign Sandbox (homologação)",
        environment="sandbox",
        api_user_email=DEMO_API_USER_EMAIL,
        token=DEMO_SANDBOX_TOKEN,
        notification_email="ti@demo.chancela.local",
        require_selfie=False,
        require_handwritten=True,
    )
    all_units = list(units.values())
    for code, name, days, policy in DEMO_DOCUMENT_TYPES:
        document_type_create(
            code=code,
            name=name,
            units=all_units,
            config=config,
            default_deadline_days=days,
            message=f"{name}: confira e assine eletronicamente.",
            **policy,
        )

    _seed_people(units)
    _seed_signing(units, logins)
    return logins


# The demo's document types and their signature policy (chancela.signing.policy): contracts
# need the institution's signature and keep signed copies 10 years (Civil Code art. 205);
# declarations are short-lived; the MEC digital diploma is ICP-Brasil only.
_CONTRACT_POLICY: dict[str, Any] = {
    "required_roles": ["institution"],
    "max_deadline_days": 60,
    "retention_signed_days": 3650,
    "retention_unsigned_days": 180,
}
DEMO_DOCUMENT_TYPES: list[tuple[str, str, int, dict[str, Any]]] = [
    ("CONTRATO_MATRICULA", "Contrato de matrícula", 30, _CONTRACT_POLICY),
    ("REMATRICULA", "Contrato de rematrícula", 30, _CONTRACT_POLICY),
    (
        "DECLARACAO_MATRICULA",
        "Declaração de matrícula",
        15,
        {"signing_order": "parallel", "retention_signed_days": 1825},
    ),
    (
        "DECLARACAO_FREQUENCIA",
        "Declaração de frequência",
        15,
        {"signing_order": "parallel", "retention_signed_days": 1825},
    ),
    (
        "TERMO_ESTAGIO",
        "Termo de compromisso de estágio",
        20,
        {
            "required_roles": ["student", "institution"],
            "signing_order": "ordered",
            "max_deadline_days": 30,
            "retention_signed_days": 1825,
        },
    ),
    (
        "DIPLOMA_DIGITAL",
        "Diploma digital",
        30,
        {
            "legal_category": "icp_brasil",
            "legal_basis": "Portaria MEC nº 554/2019 (diploma digital), Portaria MEC nº "
            "1.001/2021 e IN SESU nº 1/2020: XML com assinatura XAdES, certificado ICP-Brasil "
            "e carimbo do tempo",
            "retention_signed_days": 36500,
        },
    ),
]


def _seed_signing(units: dict[str, Unit], logins: list[DemoLogin]) -> None:
    """The director signs every enrollment contract of his unit (the secretary as delegate);
    an API key for the academic ERP, printed once."""
    from chancela.api.services import api_key_create
    from chancela.esign.models import DocumentType, DocumentTypeSigner

    for contract in DocumentType.objects.filter(
        code__in=["CONTRATO_MATRICULA", "REMATRICULA", "TERMO_ESTAGIO"]
    ):
        for unit in units.values():
            DocumentTypeSigner.objects.create(
                document_type=contract,
                role=DocumentTypeSigner.Role.INSTITUTION,
                person=Person.objects.get(unit=unit, code=f"DIR-{unit.code}"),
                delegate=Person.objects.get(unit=unit, code=f"SEC-{unit.code}"),
                group=2,
            )
    _, raw_key = api_key_create(name="ERP acadêmico (demonstração)", units=list(units.values()))
    logins.append(
        DemoLogin(
            "chave de API",
            raw_key,
            "sistema acadêmico, todas as unidades (Authorization: Bearer <chave>)",
        )
    )


def _person(unit: Unit, n: int, name: str, **kwargs: Any) -> Person:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    email_user = ascii_name.split()[0] + "." + ascii_name.split()[-1]
    defaults: dict[str, Any] = {
        "email": f"{email_user}@exemplo.com.br",
        "cpf": _cpf(n),
        "phone": f"119{n:08d}"[:11],
    }
    defaults.update(kwargs)
    return Person.objects.create(unit=unit, name=name, **defaults)


def _seed_people(units: dict[str, Unit]) -> None:
    n = iter(range(1, 1000))
    centro, norte, faculdade = units["CENTRO"], units["NORTE"], units["FACULDADE"]
    # Staff who sign for the institution, and witnesses
    for unit in units.values():
        _person(
            unit,
            next(n),
            f"Helena Duarte {unit.code.title()}",
            code=f"DIR-{unit.code}",
            birth_date=_birth(48),
        )
        _person(
            unit,
            next(n),
            f"Roberto Nunes {unit.code.title()}",
            code=f"SEC-{unit.code}",
            birth_date=_birth(39),
        )
        _person(
            unit,
            next(n),
            f"Fernanda Costa {unit.code.title()}",
            code=f"TST-{unit.code}",
            birth_date=_birth(31),
        )
    families = [
        # (unit, student, age years, age extra days, emancipated, guardians)
        (centro, "Ana Beatriz Souza", 12, 40, False, ["Marcos Souza", "Patrícia Souza"]),
        (centro, "Bruno Henrique Lima", 15, 364, False, ["Carla Lima"]),
        (centro, "Camila Rocha Ferreira", 16, 0, False, ["Jorge Ferreira"]),
        (norte, "Diego Martins Alves", 17, 364, False, ["Sandra Martins"]),
        (norte, "Eduarda Pires Gomes", 17, 100, True, ["Luís Gomes"]),
        (norte, "Felipe Araújo Santos", 18, 0, False, ["Regina Araújo"]),
        (faculdade, "Gabriela Moura Teixeira", 21, 50, False, []),
        (faculdade, "Henrique Barbosa Melo", 19, 200, False, ["Vera Barbosa"]),
    ]
    for index, (unit, student_name, years, days, emancipated, guardian_names) in enumerate(
        families, start=1
    ):
        student = _person(
            unit,
            next(n),
            student_name,
            code=f"{unit.code[:3]}{2026000 + index}",
            birth_date=_birth(years, days),
            emancipated=emancipated,
        )
        for guardian_name in guardian_names:
            guardian = _person(unit, next(n), guardian_name, birth_date=_birth(45))
            student.guardians.add(guardian)


def demo_config() -> SignatureConfig | None:
    return SignatureConfig.objects.filter(api_user_email=DEMO_API_USER_EMAIL).first()


def demo_webhook_register() -> WebhookRegistration | None:
    """Register the demo configuration's webhook on the (just started) emulator.

    The emulator keeps its state in memory, so this runs on every local start: the new secret
    replaces the old one through the audited service. A demo database seeded before the
    emulator's token was fixed gets that token first (audited too). None without demo data.
    """
    config = demo_config()
    if config is None:
        return None
    if config.token != DEMO_SANDBOX_TOKEN:
        config = signature_config_update(actor=None, config=config, token=DEMO_SANDBOX_TOKEN)
    # Detect the API the demo account speaks (make run on either API: CHANCELA_DEMO_CLICKSIGN_API).
    signature_config_test_connection(actor=None, config=config)
    config.refresh_from_db()
    return signature_config_register_webhook(actor=None, config=config)


def demo_summary(logins: list[DemoLogin]) -> str:
    lines = [
        f"Chancela: {settings.PUBLIC_URL}/",
        "Logins de demonstração (senha para todos: " + DEMO_PASSWORD + "):",
    ]
    lines += [
        f"  {login.username:<22} {login.description}"
        + ("" if login.password == DEMO_PASSWORD else f"\n  {'':<22} {login.password}")
        for login in logins
    ]
    return "\n".join(lines)
