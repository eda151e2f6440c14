from chancela.core.errors import DomainError


class NotificationError(DomainError):
    """An endpoint or e-mail that cannot be accepted."""
