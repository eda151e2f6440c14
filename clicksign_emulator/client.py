"""``ControlClient``: a small Python client for the ``/__emulator/`` control API (httpx)."""

from __future__ import annotations

from typing import Any

import httpx


class ControlError(RuntimeError):
    """The control API answered an error (``status``, ``code``, ``message``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class ControlClient:
    """Drive the emulator from tests: accounts, faults, clock, signing, webhooks.

    >>> control = ControlClient("http://127.0.0.1:8765")  # doctest: +SKIP
    >>> control.advance(301)  # doctest: +SKIP
    """

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        # The emulator speaks plain HTTP on loopback: no TLS context (saves ~40 ms per client).
        self._http = httpx.Client(
            base_url=self.base_url + "/__emulator",
            timeout=timeout,
            verify=False,  # noqa: S501 - plain HTTP on loopback, never TLS
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    def _call(
        self, verb: str, route: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._http.request(verb, route, json=body, params=query or None)
        if response.status_code >= 400:
            try:
                payload = response.json()
                code, message = payload.get("error", "error"), payload.get("message", "")
            except ValueError:
                code, message = "error", response.text
            raise ControlError(response.status_code, code, message)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # ------------------------------------------------------------------ general

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def reset(self, *, seed: int | None = None) -> None:
        self._call("POST", "/reset", {"seed": seed} if seed is not None else {})

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Read (no arguments) or change emulator settings (e.g. signed_file_delay_seconds)."""
        if not changes:
            return self._call("GET", "/settings")
        return self._call("POST", "/settings", changes)

    # ------------------------------------------------------------------ accounts

    def accounts(self) -> list[dict[str, Any]]:
        return self._call("GET", "/accounts")

    def create_account(self, **fields: Any) -> dict[str, Any]:
        """Fields: token, environment, api_user_email, plan_has_api, envelopes_enabled, name,
        key, rate_limit. Returns the account with its ``key`` and ``token``."""
        return self._call("POST", "/accounts", fields)

    def update_account(self, key: str, **fields: Any) -> dict[str, Any]:
        """Flip flags, replace the token (``token="..."``), revoke it (``token=None``) or
        ``regenerate_token=True``."""
        return self._call("PATCH", f"/accounts/{key}", fields)

    # ------------------------------------------------------------------ faults

    def add_fault(self, kind: str, **fields: Any) -> dict[str, Any]:
        """kind: status | rate_limit | timeout | drop | commit_then_drop; fields: method, path
        (regex), status, body, headers, delay_seconds, count (None = unlimited), probability,
        seed."""
        return self._call("POST", "/faults", {"kind": kind, **fields})

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # ------------------------------------------------------------------ request log

    def requests(
        self, *, method: str | None = None, path: str | None = None, account_key: str | None = None
    ) -> list[dict[str, Any]]:
        return self._call(
            "GET", "/requests", params={"method": method, "path": path, "account_key": account_key}
        )

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    # ------------------------------------------------------------------ clock

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/clock")

    def advance(self, seconds: float) -> dict[str, Any]:
        return self._call("POST", "/clock", {"advance_seconds": seconds})

    def freeze(self, frozen: bool = True) -> dict[str, Any]:
        return self._call("POST", "/clock", {"frozen": frozen})

    def set_clock(self, now: str, *, frozen: bool | None = None) -> dict[str, Any]:
        """Jump to an absolute ISO 8601 instant (for reproducible samples; may go backwards)."""
        body: dict[str, Any] = {"now": now}
        if frozen is not None:
            body["frozen"] = frozen
        return self._call("POST", "/clock", body)

    # ------------------------------------------------------------------ state

    def envelopes(self, *, account_key: str | None = None) -> list[dict[str, Any]]:
        return self._call("GET", "/envelopes", params={"account_key": account_key})

    def envelope(self, envelope_id: str) -> dict[str, Any]:
        return self._call("GET", f"/envelopes/{envelope_id}")

    def legacy_signers(self, account_key: str | None = None) -> list[dict[str, Any]]:
        """API 1.9 account-level signers, oldest first."""
        return self._call("GET", "/legacy-signers", params={"account_key": account_key})

    def notifications(self, **filters: str) -> list[dict[str, Any]]:
        """Filters: envelope_id, signer_id, kind, account_key."""
        return self._call("GET", "/notifications", params=filters)

    # ------------------------------------------------------------------ signing

    def sign(self, signer_id: str, document_ids: list[str] | None = None) -> dict[str, Any]:
        body = {"document_ids": document_ids} if document_ids is not None else {}
        return self._call("POST", f"/signers/{signer_id}/sign", body)

    def refuse(
        self, signer_id: str, reasons: list[str] | None = None, comment: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"reasons": reasons or ["Outro"]}
        if comment is not None:
            body["comment"] = comment
        return self._call("POST", f"/signers/{signer_id}/refuse", body)

    # ------------------------------------------------------------------ webhooks

    def deliveries(self, *, event: str | None = None) -> list[dict[str, Any]]:
        """Every delivery attempt (oldest first)."""
        return self._call("GET", "/deliveries", params={"event": event})["attempts"]

    def delivery_state(self) -> dict[str, Any]:
        """``{"attempts": [...], "deliveries": [...], "pending": n}``."""
        return self._call("GET", "/deliveries")

    def clear_deliveries(self) -> None:
        self._call("DELETE", "/deliveries")

    def flush_deliveries(self, *, due_only: bool = False) -> list[dict[str, Any]]:
        """Attempt every pending delivery now, synchronously; returns the attempts made."""
        return self._call("POST", "/deliveries/flush", {"due_only": due_only})["attempts"]

    def webhook_settings(self, **changes: Any) -> dict[str, Any]:
        if not changes:
            return self._call("GET", "/webhook-settings")
        return self._call("POST", "/webhook-settings", changes)
