"""Forms of the "Enviar documento para assinatura" screen.

``SendDocumentForm`` holds the request (unit, document type, files, texts, the student block);
``SignerRowFormSet`` the signers typed in (or taken from the unit's people). ``SendPage`` ties
them together for the view: it keeps what the user typed between submissions (files included,
through ``chancela.signing.uploads``), turns the forms into service inputs and puts each
``SigningError`` next to the field it names.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import formset_factory
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from chancela.core.errors import DomainError
from chancela.core.pdf import PdfError, pdf_check_size, pdf_filename_clean
from chancela.esign.models import DocumentType, LegalCategory
from chancela.institutions.models import Person, Unit
from chancela.institutions.selectors import people_visible_to, units_visible_to
from chancela.signing.errors import SigningError
from chancela.signing.inputs import (
    CapacityOverride,
    DocumentInput,
    GuardianInput,
    SignerInput,
    StudentInput,
    person_party,
)
from chancela.signing.models import SignerChannel, SignerRole
from chancela.signing.planning import RequestPlan, signature_request_plan
from chancela.signing.rules import CapacityDecision, capacity_decide
from chancela.signing.selectors import document_types_sendable_by, people_search
from chancela.signing.services import (
    MAX_DEADLINE_DAYS,
    signature_request_create,
    signature_request_deadline,
)
from chancela.signing.uploads import (
    StagedDocument,
    staged_documents_describe,
    staged_documents_discard,
    staged_documents_load,
    staged_documents_save,
    staged_documents_token,
)

REQUIRED = "Este campo é obrigatório."
MODE_STUDENT = "student"
MODE_MANUAL = "manual"
OVERRIDE_FORM_CHOICES = [
    ("", "Seguir a regra sugerida"),
    ("student", "Assina só o aluno"),
    ("guardians", "Assinam só os responsáveis"),
    ("both", "Assinam o aluno e os responsáveis"),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class DocumentTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if obj.legal_category == LegalCategory.ICP_BRASIL:
            return f"{obj.name} (exige ICP-Brasil: não é enviado pela Clicksign)"
        return str(obj.name)


class SendDocumentForm(forms.Form):
    unit = forms.ModelChoiceField(
        label="Unidade", queryset=Unit.objects.none(), empty_label="Escolha a unidade"
    )
    document_type = DocumentTypeChoiceField(
        label="Tipo de documento",
        queryset=DocumentType.objects.none(),
        empty_label="Escolha o tipo de documento",
        help_text="O tipo define a configuração da Clicksign, o prazo, a mensagem e quem assina "
        "pela instituição.",
    )
    documents = MultipleFileField(
        label="Documentos (PDF)",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text="Um ou mais PDFs, até 10 MB cada e 100 MB no total. Sem senha, sem scripts e "
        "sem anexos.",
    )
    staged = forms.CharField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(
        label="Título",
        max_length=200,
        required=False,
        help_text="Aparece para quem assina. Em branco: o tipo de documento e o nome do aluno.",
    )
    message = forms.CharField(
        label="Mensagem aos signatários",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Em branco: a mensagem do tipo de documento.",
    )
    deadline = forms.DateField(
        label="Prazo para assinar",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=f"Até {MAX_DEADLINE_DAYS} dias. Em branco: o prazo do tipo de documento.",
        error_messages={"invalid": "Essa data não existe: confira o dia, o mês e o ano."},
    )
    biometrics_justification = forms.CharField(
        label="Justificativa para biometria de menor de 18 anos",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Só quando a configuração ou o tipo pede selfie ou documento oficial e um "
        "signatário tem menos de 18 anos (LGPD arts. 11 e 14). Em branco: a justificativa do "
        "tipo de documento. Fica registrada na linha do tempo.",
    )
    mode = forms.ChoiceField(
        label="Quem assina",
        choices=[
            (MODE_STUDENT, "Aluno e responsáveis (pela regra de capacidade civil)"),
            (MODE_MANUAL, "Informar os signatários"),
        ],
        widget=forms.RadioSelect,
        initial=MODE_STUDENT,
    )
    q = forms.CharField(label="Buscar pessoa da unidade", required=False, max_length=100)
    student = forms.CharField(label="Aluno", required=False, widget=forms.HiddenInput)
    guardians = forms.MultipleChoiceField(
        label="Responsáveis que participam",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Os responsáveis cadastrados do aluno.",
    )
    financial_guardians = forms.MultipleChoiceField(
        label="Responsável financeiro",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Assina como contratante, qualquer que seja a idade do aluno.",
    )
    channel = forms.ChoiceField(
        label="Token de autenticação do aluno e dos responsáveis",
        choices=SignerChannel.choices,
        initial=SignerChannel.EMAIL,
        help_text="SMS e WhatsApp exigem celular cadastrado e substituem o token por e-mail.",
    )
    capacity_override = forms.ChoiceField(
        label="Quem assina, de fato", choices=OVERRIDE_FORM_CHOICES, required=False
    )
    override_reason = forms.CharField(
        label="Motivo para não seguir a regra",
        max_length=300,
        required=False,
        help_text="Obrigatório ao substituir a regra; fica registrado na solicitação.",
    )
    preview_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = units_visible_to(user=user).filter(active=True)  # type: ignore[attr-defined]
        self.fields["document_type"].queryset = document_types_sendable_by(user=user)  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED
        # The browser's date picker and the live check (chancela.js) know the allowed range.
        today = timezone.localdate()
        self.fields["deadline"].widget.attrs.update(
            {
                "min": (today + timedelta(days=1)).isoformat(),
                "max": (today + timedelta(days=MAX_DEADLINE_DAYS)).isoformat(),
                "data-live-date": "deadline",
            }
        )
        self.fields["unit"].error_messages["invalid_choice"] = "Escolha uma das suas unidades."
        self.fields["document_type"].error_messages["invalid_choice"] = (
            "Escolha um tipo de documento ativo das suas unidades."
        )
        student = self.student_person()
        choices = [(str(g.public_id), g.name) for g in student.guardians.all()] if student else []
        self.fields["guardians"].choices = choices  # type: ignore[attr-defined]
        self.fields["financial_guardians"].choices = choices  # type: ignore[attr-defined]

    def _raw(self, name: str) -> str:
        value = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
        return str(value or "")

    def selected_unit(self) -> Unit | None:
        raw = self._raw("unit")
        if not raw.isdigit():
            return None
        return units_visible_to(user=self.user).filter(active=True, pk=int(raw)).first()

    def student_person(self) -> Person | None:
        unit, raw = self.selected_unit(), self._raw("student")
        if unit is None or not _is_uuid(raw):
            return None
        return (
            people_visible_to(user=self.user)
            .filter(unit=unit, public_id=raw)
            .prefetch_related("guardians")
            .first()
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        unit, document_type = cleaned.get("unit"), cleaned.get("document_type")
        if unit and document_type and not document_type.units.filter(pk=unit.pk).exists():
            self.add_error(
                "document_type",
                f"“{document_type.name}” não é enviado pela unidade “{unit.name}”. Escolha "
                "outro tipo ou outra unidade.",
            )
        if cleaned.get("mode") == MODE_STUDENT and self.student_person() is None:
            self.add_error("student", "Busque e escolha o aluno na lista.")
        if cleaned.get("capacity_override") and not cleaned.get("override_reason", "").strip():
            self.add_error(
                "override_reason",
                "Explique por que a regra de capacidade civil não vale neste caso.",
            )
        if cleaned.get("deadline") and cleaned.get("document_type"):
            # The very check the service makes (Clicksign's limits, the type's policy), at the
            # preview already: a past or too distant deadline never reaches "Enviar".
            try:
                signature_request_deadline(
                    document_type=cleaned["document_type"], deadline_at=self.deadline_at()
                )
            except SigningError as error:
                self.add_error("deadline", error.message)
        return cleaned

    def deadline_at(self) -> datetime | None:
        day = self.cleaned_data.get("deadline")
        if not day:
            return None
        end_of_day = timezone.make_aware(datetime.combine(day, time(23, 59)))
        # The last day allowed ends before 23:59: stop at Clicksign's limit, not past it.
        latest = timezone.now() + timedelta(days=MAX_DEADLINE_DAYS) - timedelta(minutes=5)
        if day == timezone.localtime(latest).date():
            return min(end_of_day, latest)
        return end_of_day


class SignerRowForm(forms.Form):
    person = forms.CharField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="Nome completo", max_length=200, required=False)
    email = forms.CharField(label="E-mail", max_length=254, required=False)
    cpf = forms.CharField(label="CPF", max_length=20, required=False)
    phone = forms.CharField(label="Celular", max_length=20, required=False)
    role = forms.ChoiceField(label="Papel", choices=SignerRole.choices, initial=SignerRole.STUDENT)
    group = forms.IntegerField(
        label="Grupo",
        min_value=1,
        max_value=20,
        initial=1,
        widget=forms.NumberInput(attrs={"size": 3}),
    )
    channel = forms.ChoiceField(label="Token por", choices=SignerChannel.choices, initial="email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The table's column headers are not labels: each input names itself and its row.
        match = re.search(r"(\d+)$", self.prefix or "")
        row = f" do signatário {int(match.group(1)) + 1}" if match else ""
        for field in self.fields.values():
            if field.label:
                field.widget.attrs.setdefault("aria-label", f"{field.label}{row}")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("person", "name", "email", "cpf", "phone"))


class _SignerRowBaseFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields and index is not None:
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Remover o signatário {index + 1}"


SignerRowFormSet = formset_factory(
    SignerRowForm, formset=_SignerRowBaseFormSet, extra=0, can_delete=True
)

_UUID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def _is_uuid(value: str) -> bool:
    return bool(_UUID.match(value or ""))


class SendPage:
    """The send screen's state for one request/response."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user = request.user
        self.user_id: int = request.user.pk  # type: ignore[assignment]
        self.notices: list[str] = []
        self.file_errors: list[str] = []
        self.row_index: list[int] = []
        self.plan: RequestPlan | None = None
        self.staged: list[StagedDocument] = []
        if request.method == "POST":
            self.data = request.POST.copy()
        else:
            self.data = None  # type: ignore[assignment]
        self._build()

    # --- building ----------------------------------------------------------------------
    def _build(self) -> None:
        units = units_visible_to(user=self.user).filter(active=True)
        initial: dict[str, Any] = {"mode": MODE_STUDENT}
        if units.count() == 1:
            initial["unit"] = units.first().pk  # type: ignore[union-attr]
        self.form = SendDocumentForm(
            self.data, self.request.FILES or None, user=self.user, initial=initial
        )
        self.formset = SignerRowFormSet(
            self.data, prefix="signers", initial=None if self.data else [{}, {}]
        )
        if self.data is not None:
            self.staged = staged_documents_describe(
                user_id=self.user_id, token=self.data.get("staged", "")
            )

    def _rebuild(self, data: QueryDict) -> None:
        data["staged"] = staged_documents_token(user_id=self.user_id, documents=self.staged)
        self.data = data
        self.form = SendDocumentForm(data, None, user=self.user)
        self.formset = SignerRowFormSet(data, prefix="signers")

    # --- files -------------------------------------------------------------------------
    def stage_files(self) -> None:
        """Keep the files just chosen (those that are acceptable PDFs), replacing earlier ones."""
        uploaded = self.request.FILES.getlist("documents")
        if not uploaded:
            return
        # Sizes first, by what was sent: the upload handler kept only the first bytes of a file
        # over the limit (chancela.core.uploads).
        oversize: list[PdfError] = []
        files: list[tuple[str, bytes]] = []
        for f in uploaded:
            name = f.name or "documento.pdf"
            try:
                pdf_check_size(f.size or 0, filename=pdf_filename_clean(name), field="documents")
            except PdfError as error:
                oversize.append(error)
                continue
            files.append((name, f.read()))
        kept, errors = staged_documents_save(user_id=self.user_id, files=files)
        self.staged = kept
        data = self.data.copy()
        self._rebuild(data)
        self.file_errors = [error.message for error in [*oversize, *errors]]

    # --- actions -----------------------------------------------------------------------
    def action(self) -> str:
        for name in ("pick_student", "add_person"):
            if self.data.get(name):
                return name
        return self.data.get("action", "preview")

    def pick_student(self) -> None:
        data = self.data.copy()
        data["student"] = data.pop("pick_student")[0]
        data["mode"] = MODE_STUDENT
        data["q"] = ""
        self.form = SendDocumentForm(data, None, user=self.user)
        student = self.form.student_person()
        if student is not None:
            guardians = [str(g.public_id) for g in student.guardians.all()]
            data.setlist("guardians", guardians)
        self._rebuild(data)

    def add_person(self) -> None:
        data = self.data.copy()
        raw = data.pop("add_person")[0]
        unit = self.form.selected_unit()
        person = (
            people_visible_to(user=self.user).filter(unit=unit, public_id=raw).first()
            if unit is not None and _is_uuid(raw)
            else None
        )
        if person is not None:
            index = self._free_row(data)
            prefix = f"signers-{index}-"
            for key, value in {
                "person": str(person.public_id),
                "name": person.name,
                "email": person.email,
                "cpf": person.cpf,
                "phone": person.phone,
                "role": SignerRole.STUDENT if person.birth_date else SignerRole.INSTITUTION,
                "group": "1",
                "channel": SignerChannel.EMAIL,
            }.items():
                data[prefix + key] = value
        data["mode"] = MODE_MANUAL
        data["q"] = ""
        self._rebuild(data)

    def add_row(self) -> None:
        data = self.data.copy()
        total = int(data.get("signers-TOTAL_FORMS") or 0)
        data["signers-TOTAL_FORMS"] = str(total + 1)
        data[f"signers-{total}-group"] = "1"
        data[f"signers-{total}-role"] = SignerRole.STUDENT
        data[f"signers-{total}-channel"] = SignerChannel.EMAIL
        data["mode"] = MODE_MANUAL
        self._rebuild(data)

    @staticmethod
    def _free_row(data: QueryDict) -> int:
        total = int(data.get("signers-TOTAL_FORMS") or 0)
        for index in range(total):
            if not any(data.get(f"signers-{index}-{name}") for name in ("person", "name", "email")):
                return index
        data["signers-TOTAL_FORMS"] = str(total + 1)
        return total

    # --- from forms to service inputs -------------------------------------------------
    def is_valid(self, *, documents_required: bool = True) -> bool:
        form_ok = self.form.is_valid()
        rows_ok = self.form.cleaned_data.get("mode") != MODE_MANUAL or self.formset.is_valid()
        if documents_required and not self.staged and not self.file_errors:
            self.form.add_error("documents", "Escolha ao menos um documento PDF.")
            return False
        return form_ok and rows_ok and not self.file_errors

    def documents(self) -> list[DocumentInput]:
        return staged_documents_load(user_id=self.user_id, token=self.data.get("staged", ""))

    def signer_inputs(self) -> dict[str, Any]:
        justification = self.form.cleaned_data.get("biometrics_justification", "")
        return {**self._signer_inputs(), "biometrics_justification": justification}

    def _signer_inputs(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        if data["mode"] == MODE_STUDENT:
            return self._student_inputs()
        self.row_index = []
        signers = []
        unit = data["unit"]
        for index, row in enumerate(self.formset.forms):
            if row.cleaned_data.get("DELETE") or row.is_blank():
                continue
            values = row.cleaned_data
            person = None
            if _is_uuid(values.get("person", "")):
                person = (
                    people_visible_to(user=self.user)
                    .filter(unit=unit, public_id=values["person"])
                    .first()
                )
            self.row_index.append(index)
            signers.append(
                SignerInput(
                    name=values.get("name", ""),
                    email=values.get("email", ""),
                    cpf=values.get("cpf", ""),
                    phone=values.get("phone", ""),
                    birth_date=person.birth_date if person else None,
                    role=values["role"],
                    group=values.get("group") or 1,
                    channel=values["channel"],
                    person=person,
                )
            )
        return {"signers": signers}

    def _student_inputs(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        student = self.form.student_person()
        assert student is not None  # checked in SendDocumentForm.clean
        channel = data["channel"]
        chosen = set(data.get("guardians") or [])
        financial = set(data.get("financial_guardians") or [])
        guardians = [
            GuardianInput(
                **person_party(g),
                channel=channel,
                role=(
                    SignerRole.FINANCIAL_GUARDIAN
                    if str(g.public_id) in financial
                    else SignerRole.GUARDIAN
                ),
            )
            for g in student.guardians.all()
            if str(g.public_id) in chosen or str(g.public_id) in financial
        ]
        override = None
        if data.get("capacity_override"):
            override = CapacityOverride(
                signers=data["capacity_override"], reason=data.get("override_reason", "")
            )
        return {
            "student": StudentInput(
                **person_party(student), emancipated=student.emancipated, channel=channel
            ),
            "guardians": guardians,
            "capacity_override": override,
        }

    def title(self, plan: RequestPlan) -> str:
        title = self.form.cleaned_data.get("title", "").strip()
        if title:
            return title
        document_type = self.form.cleaned_data["document_type"]
        who = plan.student_name or (plan.signers[0].name if plan.signers else "")
        return f"{document_type.name} — {who}" if who else str(document_type.name)

    def preview_token(self, plan: RequestPlan) -> str:
        data = self.form.cleaned_data
        payload = {
            "unit": data["unit"].pk,
            "document_type": data["document_type"].pk,
            "title": self.title(plan),
            "message": data.get("message", ""),
            "deadline": str(data.get("deadline") or ""),
            "files": [d.sha256 for d in self.staged],
            "rule": plan.rule_text,
            "biometrics": plan.biometrics_note,
            "signers": [
                [s.name, s.email, s.role, s.group, s.channel, s.qualification, s.auths]
                for s in plan.signers
            ],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]

    # --- errors ------------------------------------------------------------------------
    def add_error(self, error: DomainError) -> None:
        path = error.field or ""
        match = re.match(r"^signers\[(\d+)\]\.?(\w*)", path)
        if match and self.form.cleaned_data.get("mode") == MODE_MANUAL:
            position, name = int(match.group(1)), match.group(2)
            if position < len(self.row_index):
                row = self.formset.forms[self.row_index[position]]
                row.add_error(name if name in row.fields else None, error.message)
                return
        target = None
        if path.startswith("documents"):
            target = "documents"
        elif path == "deadline_at":
            target = "deadline"
        elif path.startswith("capacity_override.reason"):
            target = "override_reason"
        elif path.startswith("capacity_override"):
            target = "capacity_override"
        elif path.startswith("student"):
            target = "student"
        elif path.startswith("guardians"):
            target = "guardians"
        elif path in self.form.fields:
            target = path
        self.form.add_error(target, error.message)

    # --- display -----------------------------------------------------------------------
    def capacity_suggestion(self) -> tuple[Person, CapacityDecision] | None:
        student = self.form.student_person()
        if student is None or student.birth_date is None:
            return None
        decision = capacity_decide(
            birth_date=student.birth_date,
            emancipated=student.emancipated,
            on=timezone.localdate(),
            guardian_count=max(student.guardians.count(), 1),
        )
        return student, decision

    def search_results(self) -> QuerySet[Person] | list[Person]:
        query = (self.form.data.get("q") or "").strip() if self.form.is_bound else ""
        unit = self.form.selected_unit()
        if not query or unit is None:
            return []
        return people_search(user=self.user, unit=unit, query=query)

    def context(self) -> dict[str, Any]:
        mode = self.form.data.get("mode") if self.form.is_bound else MODE_STUDENT
        return {
            "nav": "send",
            "form": self.form,
            "formset": self.formset,
            "mode": mode or MODE_STUDENT,
            "staged": self.staged,
            "file_errors": self.file_errors,
            "student": self.form.student_person(),
            "suggestion": self.capacity_suggestion(),
            "results": self.search_results(),
            "plan": self.plan,
            "notices": self.notices,
            "has_units": self.form.fields["unit"].queryset.exists(),  # type: ignore[attr-defined]
        }


def send_page_submit(page: SendPage, *, send: bool, documents_required: bool = True) -> Any:
    """Preview (plan) the request, or create it when the user confirms an unchanged preview.

    Returns the created ``SignatureRequest``, or None when the page must be shown again. The live
    preview panel plans who signs before any document is attached (``documents_required=False``);
    "Enviar" always needs them.
    """
    if not page.is_valid(documents_required=documents_required or send):
        return None
    data = page.form.cleaned_data
    inputs = page.signer_inputs()
    try:
        plan = signature_request_plan(
            unit=data["unit"], document_type=data["document_type"], **inputs
        )
    except SigningError as error:
        page.add_error(error)
        return None
    page.plan = plan
    token = page.preview_token(plan)
    if not send or data.get("preview_token") != token:
        if send:
            page.notices.append(
                "Os dados mudaram desde a pré-visualização. Confira quem assina abaixo e "
                "clique em “Enviar para assinatura” de novo."
            )
        page.data["preview_token"] = token
        return None
    try:
        result = signature_request_create(
            unit=data["unit"],
            document_type=data["document_type"],
            title=page.title(plan),
            documents=page.documents(),
            deadline_at=page.form.deadline_at(),
            message=data.get("message", ""),
            created_by=page.user,
            **inputs,
        )
    except SigningError as error:
        page.plan = None
        page.add_error(error)
        return None
    staged_documents_discard(user_id=page.user_id, token=page.data.get("staged", ""))
    return result.request
