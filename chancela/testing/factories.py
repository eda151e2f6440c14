"""Factory functions for tests. Each returns a saved object with sensible defaults."""

from __future__ import annotations

import itertools
import random
from datetime import date
from typing import Any

from django.contrib.auth.models import Group, Permission, User

from chancela.esign.models import DocumentType, SignatureConfig
from chancela.esign.services import document_type_create, signature_config_create
from chancela.institutions.models import Person, SharingPolicy, Unit, UnitAccess, UnitGroup

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
        "name": f"Pessoa Teste {chr(65 + n % 26)}{n}",
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
