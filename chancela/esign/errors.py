from chancela.core.errors import DomainError


class ConfigurationError(DomainError):
    """A signature configuration or document type change that cannot be accepted."""
