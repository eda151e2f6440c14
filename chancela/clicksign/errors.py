"""What can go wrong when Chancela talks to Clicksign, as a small hierarchy of types.

Callers decide by type (and by the attributes below), never by parsing messages:

- :class:`ClicksignPermanentError` — Clicksign refused the request as it is (400, 404, 422, other
  4xx, an unknown route, a redirect). Retrying the same request gives the same answer.
  ``field`` names the offending attribute (from the JSON:API ``source.pointer``) and ``detail`` is
  Clicksign's own Portuguese text.
- :class:`ClicksignCredentialError` — the configuration cannot work until a person fixes it:
  ``kind`` is one of :class:`CredentialErrorKind` (401 invalid token; 403 API user e-mail not set;
  403 plan without API; 403 account blocked; 503 envelopes not enabled, i.e. a legacy-only account).
- :class:`ClicksignRetryableError` — try again later: timeouts, connection errors, 5xx, 429.
  ``retry_after`` (seconds, or None) says how long to wait at least; ``outcome_unknown`` is True
  when the request may have reached Clicksign and taken effect (read timeout, connection dropped
  after sending, 500/502/504), so a retried write must first look for what it may have created.
  ``is_rate_limit`` is THE rule for "this is a rate limit, not an outage": Clicksign answered 429
  or our shared limiter had no slot (nothing was done; wait ``retry_after`` and send the same call
  again, without counting it as a failed attempt). A refused connection is not a rate limit.
  ``wait_seconds()`` is how long to tell a person to wait, in whole seconds.
- :class:`ClicksignSlotWait` — the retryable error of our own limiter: no slot within the
  caller's ``max_wait``, nothing sent. ``account_retry_at`` says when the *account's* window
  has room again (None when only a notification endpoint's one-a-minute window is full), so a
  worker can set aside every call of that account until then and do other work meanwhile.

One Portuguese wording per credential problem: :meth:`ClicksignCredentialError.explanation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class ApiErrorItem:
    """One member of a JSON:API ``errors`` array (types normalised: ``status`` is an int)."""

    status: int | None
    code: str
    title: str
    detail: str
    pointer: str
    field: str


class ClicksignError(Exception):
    """Base class. ``status`` is the HTTP status (None when no answer arrived)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        errors: tuple[ApiErrorItem, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.errors = errors

    @property
    def detail(self) -> str:
        """Clicksign's Portuguese detail of the first error (or the message)."""
        return self.errors[0].detail if self.errors else self.message

    @property
    def field(self) -> str:
        """The attribute the first error points at (``deadline_at``, ``endpoint``…), or ""."""
        return self.errors[0].field if self.errors else ""

    @property
    def title(self) -> str:
        return self.errors[0].title if self.errors else ""

    @property
    def code(self) -> str:
        return self.errors[0].code if self.errors else ""

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        status = f"HTTP {self.status}" if self.status is not None else "no answer"
        return f"{self.message} ({status}{', ' + where if where else ''})"


class ClicksignPermanentError(ClicksignError):
    """Clicksign refused this request as it is; sending it again changes nothing."""

    def has_error(self, *, field: str, title: str | None = None) -> bool:
        """True if any error points at ``field`` (and, if given, carries ``title``)."""
        return any(
            item.field == field and (title is None or item.title == title) for item in self.errors
        )


class ClicksignNotFoundError(ClicksignPermanentError):
    """404 for a record (envelope, document, signer, webhook…) the account does not have."""


class CredentialErrorKind(StrEnum):
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - a label, not a secret
    API_EMAIL_NOT_SET = "api_email_not_set"
    PLAN_WITHOUT_API = "plan_without_api"
    ACCOUNT_BLOCKED = "account_blocked"
    ENVELOPES_UNAVAILABLE = "envelopes_unavailable"


ENVIRONMENT_LABELS = {"sandbox": "sandbox", "production": "produção"}


class ClicksignCredentialError(ClicksignError):
    """The account or token cannot be used until a person fixes the configuration."""

    def __init__(self, message: str, *, kind: CredentialErrorKind, **context: Any) -> None:
        super().__init__(message, **context)
        self.kind = kind

    def explanation(self, *, environment: str, api_user_email: str = "") -> str:
        """The one Portuguese explanation of this problem, with what to do next (for the IT
        admin on the configuration screen, a failed request's reason, the failure e-mail)."""
        env = ENVIRONMENT_LABELS.get(environment, environment)
        if self.kind == CredentialErrorKind.INVALID_TOKEN:
            return (
                f"Token inválido: a Clicksign ({env}) recusou a chave de autenticação "
                "(“Access Token inválido”). Gere um novo token em Configurações → API na conta "
                "Clicksign deste ambiente e atualize esta configuração."
            )
        if self.kind == CredentialErrorKind.API_EMAIL_NOT_SET:
            who = f" ({api_user_email})" if api_user_email else ""
            return (
                "O e-mail do usuário da API não está configurado na conta Clicksign: em "
                f"Configurações → API, informe o e-mail do usuário da API{who} e clique em "
                "“Salvar e-mail”. Sem ele a Clicksign recusa todas as chamadas, mesmo com o token "
                "certo."
            )
        if self.kind == CredentialErrorKind.PLAN_WITHOUT_API:
            return (
                "O plano da conta Clicksign não inclui acesso à API (“A conta não possui acesso a "
                "essa funcionalidade”). É preciso contratar um plano com API (Automação) com a "
                "Clicksign."
            )
        if self.kind == CredentialErrorKind.ACCOUNT_BLOCKED:
            return (
                f"A conta Clicksign está bloqueada: “{self.detail}”. Fale com a Clicksign "
                "(ajuda@clicksign.com)."
            )
        return (
            "A conta Clicksign não tem a API de envelopes (3.0) habilitada — contas criadas antes "
            "de julho de 2024 usam só a API antiga (1.9). Clique em “Testar conexão” para o "
            "Chancela detectar a API da conta, ou peça à Clicksign (ajuda@clicksign.com) que "
            "ative os envelopes para esta conta."
        )


class ClicksignRetryableError(ClicksignError):
    """Temporary: try again after ``retry_after`` seconds (None: use your own backoff)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
        sent: bool = True,
        rate_limited: bool = False,
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown
        # False when the request never left Chancela (local rate limit, connection refused).
        self.sent = sent
        self._rate_limited = rate_limited

    @property
    def is_rate_limit(self) -> bool:
        """Clicksign answered 429, or our shared limiter had no slot for it: slow down and send
        the same call again after ``retry_after``; nothing failed."""
        return self._rate_limited or self.status == 429

    def wait_seconds(self, default: float = 60.0) -> int:
        """How long to tell a person to wait before trying again (whole seconds, at least 1)."""
        return max(1, math.ceil(self.retry_after if self.retry_after else default))


class ClicksignSlotWait(ClicksignRetryableError):
    """Our shared limiter had no slot within ``max_wait``; the request was not sent.

    ``retry_at``: when this call's slot(s) free (epoch seconds on the limiter's clock;
    ``retry_after`` is the same as seconds from the refusal). ``account_retry_at``: when the
    account's own window (or a 429 block of the whole account) lets any call through, if that
    alone is beyond ``max_wait`` — None when the account has room and only the notification
    endpoint's one-a-minute window is full.
    """

    def __init__(
        self, message: str, *, retry_at: float, account_retry_at: float | None, now: float
    ) -> None:
        super().__init__(
            message, retry_after=round(retry_at - now, 3), sent=False, rate_limited=True
        )
        self.retry_at = retry_at
        self.account_retry_at = account_retry_at
