"""Units, groups of units, the people of the institution, and who may see which unit."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chancela.core.people import (
    cpf_is_valid,
    cpf_mask,
    cpf_normalize,
    phone_is_valid,
    phone_mask,
    phone_normalize,
)


class UnitGroup(models.Model):
    """Grupo de unidades: a network of campuses that may share a Clicksign configuration."""

    code = models.CharField(_("código"), max_length=30, unique=True)
    name = models.CharField(_("nome"), max_length=150)

    class Meta:
        verbose_name = _("grupo de unidades")
        verbose_name_plural = _("grupos de unidades")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """Unidade (campus, school)."""

    code = models.CharField(_("código"), max_length=30, unique=True)
    name = models.CharField(_("nome"), max_length=150)
    group = models.ForeignKey(
        UnitGroup,
        verbose_name=_("grupo de unidades"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
    )
    active = models.BooleanField(_("ativa"), default=True)

    class Meta:
        verbose_name = _("unidade")
        verbose_name_plural = _("unidades")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitAccess(models.Model):
    """One unit a user may see: the user's *unit filter* is the set of these rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuário"),
        on_delete=models.CASCADE,
        related_name="unit_accesses",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unidade"), on_delete=models.CASCADE, related_name="accesses"
    )

    class Meta:
        verbose_name = _("acesso a unidade")
        verbose_name_plural = _("filtro de unidades dos usuários")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="unit_access_unique_user_unit")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.unit}"


def validate_cpf(value: str) -> None:
    if value and not cpf_is_valid(value):
        raise ValidationError(_("CPF inválido: confira os dígitos verificadores."), code="cpf")


def validate_phone(value: str) -> None:
    if value and not phone_is_valid(value):
        raise ValidationError(
            _("Telefone inválido: informe DDD e número, por exemplo (11) 98765-4321."),
            code="phone",
        )


class Person(models.Model):
    """A person of the institution: student, guardian, staff member or witness."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unidade"), on_delete=models.PROTECT, related_name="people"
    )
    code = models.CharField(
        _("código (matrícula)"),
        max_length=40,
        blank=True,
        help_text=_("Código do aluno ou do colaborador no sistema acadêmico."),
    )
    name = models.CharField(_("nome completo"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    cpf = models.CharField(_("CPF"), max_length=11, blank=True, validators=[validate_cpf])
    phone = models.CharField(_("telefone"), max_length=11, blank=True, validators=[validate_phone])
    birth_date = models.DateField(_("data de nascimento"), null=True, blank=True)
    emancipated = models.BooleanField(
        _("emancipado"),
        default=False,
        help_text=_("Menor emancipado assina sozinho, como um adulto."),
    )
    guardians = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="wards",
        verbose_name=_("responsáveis"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pessoa")
        verbose_name_plural = _("pessoas")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "code"],
                condition=~models.Q(code=""),
                name="person_unique_code_per_unit",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.cpf = cpf_normalize(self.cpf)
        self.phone = phone_normalize(self.phone)

    @property
    def cpf_masked(self) -> str:
        return cpf_mask(self.cpf)

    @property
    def phone_masked(self) -> str:
        return phone_mask(self.phone)


class SharingType(models.TextChoices):
    UNIT = "unit", _("Exclusiva da unidade")
    UNIT_GROUP = "unit_group", _("Compartilhada com o grupo de unidades")
    ALL = "all", _("Compartilhada com todas as unidades")


class SharingPolicy(models.Model):
    """Informações compartilhadas: how the records of one kind are shared between units.

    The seed names one filter, ``ConfiguracaoAssinaturaEletronica``, for the e-signature
    configurations. A missing row means "exclusive to the unit".
    """

    SIGNATURE_CONFIG = "ConfiguracaoAssinaturaEletronica"
    FILTER_CHOICES = [(SIGNATURE_CONFIG, _("Configuração assinatura eletrônica de documentos"))]

    filter_name = models.CharField(_("filtro"), max_length=60, unique=True, choices=FILTER_CHOICES)
    sharing_type = models.CharField(
        _("tipo de compartilhamento"),
        max_length=20,
        choices=SharingType.choices,
        default=SharingType.UNIT,
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("informação compartilhada")
        verbose_name_plural = _("informações compartilhadas")

    def __str__(self) -> str:
        return f"{self.filter_name}: {self.get_sharing_type_display()}"
