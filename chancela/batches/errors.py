from chancela.core.errors import DomainError


class BatchError(DomainError):
    """A batch (or one of its files or rows) that cannot be accepted or changed as asked."""


class BatchIdempotencyConflict(BatchError):
    """The batch external_id was already used in this unit for a batch with other content."""

    def __init__(self, code: str, message: str, field: str | None, existing_public_id: str):
        super().__init__(code, message, field)
        self.existing_public_id = existing_public_id
