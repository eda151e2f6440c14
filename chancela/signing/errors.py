from chancela.core.errors import DomainError


class SigningError(DomainError):
    """A signature request that cannot be created (or changed) as asked.

    ``field`` names the offending input as a path, the way the host API spells it:
    ``unit``, ``documents[0].content_base64``, ``signers[1].cpf``, ``student.birth_date``,
    ``guardians[0].phone``, ``capacity_override.reason``, ``deadline_at``...
    """


class IdempotencyConflict(SigningError):
    """The external_id was already used in this unit for a request with other content."""

    def __init__(self, code: str, message: str, field: str | None, existing_public_id: str):
        super().__init__(code, message, field)
        self.existing_public_id = existing_public_id
