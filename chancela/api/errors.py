from chancela.core.errors import DomainError


class ApiKeyError(DomainError):
    """An API key that cannot be created or used as asked."""
