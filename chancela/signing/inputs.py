"""What a caller (the host API, the staff screen) hands to the signing services.

Plain, framework-free values: the services validate them and answer with ``SigningError``s whose
``field`` is the path of the offending value (``signers[1].cpf``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chancela.institutions.models import Person


def held_bytes(content: bytes, file: IO[bytes] | None) -> bytes:
    """The bytes of a PDF held either in memory (``content``) or in a file (read from its start)."""
    if file is None:
        return content
    file.seek(0)
    return file.read()


@dataclass(frozen=True, kw_only=True)
class DocumentInput:
    """A PDF: its bytes (``content``), or a binary file holding them (``file``, e.g. the
    temporary file the API decoded a document into), read only when it is checked."""

    filename: str
    content: bytes = b""
    file: IO[bytes] | None = None

    def read(self) -> bytes:
        return held_bytes(self.content, self.file)


@dataclass(frozen=True, kw_only=True)
class PartyInput:
    """A person who may sign: typed in, or taken from the unit's people (``person``)."""

    name: str
    email: str
    cpf: str = ""
    phone: str = ""
    birth_date: date | None = None
    # "email", "sms" or "whatsapp": the channel of the invitation and of the token.
    channel: str = "email"
    group: int = 1
    person: Person | None = None


def person_party(person: Person) -> dict[str, Any]:
    """The PartyInput fields of a registered person (name, contacts, birth date, the person)."""
    return {
        "name": person.name,
        "email": person.email,
        "cpf": person.cpf,
        "phone": person.phone,
        "birth_date": person.birth_date,
        "person": person,
    }


@dataclass(frozen=True, kw_only=True)
class SignerInput(PartyInput):
    """A signer given explicitly, with a role (student, guardian, institution...)."""

    role: str


@dataclass(frozen=True, kw_only=True)
class StudentInput(PartyInput):
    """The student of a document whose signers follow legal capacity."""

    emancipated: bool = False


@dataclass(frozen=True, kw_only=True)
class GuardianInput(PartyInput):
    """A guardian of the student: ``guardian`` (legal) or ``financial_guardian`` (payer)."""

    role: str = "guardian"


@dataclass(frozen=True, kw_only=True)
class CapacityOverride:
    """Staff (or the host, explicitly) decide who signs instead of the legal-capacity rule.

    ``signers``: ``student`` (only the student), ``guardians`` (only the guardians) or ``both``.
    Financial guardians sign in every case. ``reason`` is required and recorded.
    """

    signers: str
    reason: str
