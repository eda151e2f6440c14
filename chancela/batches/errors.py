from chancela.core.errors import DomainError


class BatchError(DomainError):
    """A batch (or one of its files or rows) that cannot be accepted or changed as asked."""
