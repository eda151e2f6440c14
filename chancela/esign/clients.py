"""The Clicksign client of a configuration: the one place that turns a ``SignatureConfig`` into a
client (base URL from settings, token, environment's rate limit, allowed signed-file hosts).

It lives on the configuration side so that ``chancela.clicksign`` stays the bottom layer and
knows nothing of the apps above it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from chancela.clicksign.client import DEFAULT_TIMEOUTS, ClicksignClient
from chancela.clicksign.legacy import LegacyClicksignClient
from chancela.clicksign.port import API_LEGACY, ClicksignPort
from chancela.clicksign.ratelimit import DatabaseRateLimiter, account_hash
from chancela.core.crypto import EncryptionKeyError, decrypt
from chancela.core.http import Timeouts
from chancela.esign.models import SignatureConfig


def client_for_config(
    config: SignatureConfig,
    *,
    transport: httpx.BaseTransport | None = None,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    max_wait: float = 15.0,
    api: str | None = None,
) -> ClicksignPort:
    """The Clicksign port for a configuration's account: the adapter of the API it speaks
    (``config.clicksign_api``, or ``api`` when "Testar conexão" tries one), base URL from settings
    ``CLICKSIGN_URLS`` (via ``config.service_url``), its token, its environment's rate limit, and
    the extra signed-file hosts of ``CHANCELA_SIGNED_FILE_HOSTS``.

    Successful calls stamp ``config.last_successful_call_at`` (at most once a minute per client).
    """
    last_stamp: list[datetime] = []

    def stamp_success() -> None:
        now = timezone.now()
        if last_stamp and now - last_stamp[0] < timedelta(minutes=1):
            return
        last_stamp[:] = [now]
        SignatureConfig.objects.filter(pk=config.pk).update(last_successful_call_at=now)

    limiter = None
    limit = settings.CHANCELA_CLICKSIGN_RATE_LIMITS.get(config.environment)
    if limit:  # a deployment-level override of Clicksign's published limit
        limiter = DatabaseRateLimiter(
            account=config_account_key(config),
            limit=limit,
            max_flight=timeouts.total + 5.0,
        )
    adapter = (
        LegacyClicksignClient if (api or config.clicksign_api) == API_LEGACY else ClicksignClient
    )
    return adapter(
        base_url=config.service_url,
        limiter=limiter,
        token=config.token,
        environment=config.environment,
        transport=transport,
        timeouts=timeouts,
        max_wait=max_wait,
        on_success=stamp_success,
        signed_file_hosts=tuple(settings.CHANCELA_SIGNED_FILE_HOSTS),
    )


def config_account_key(config: SignatureConfig) -> str:
    """The Clicksign account ``config`` calls, as the rate limiter keys it (service and token)."""
    return account_hash(base_url=config.service_url, token=config.token)


# The token column as stored (the ciphertext): reading many configurations' accounts decrypts
# each token on its own, so that one no key can read (restored from another installation, say)
# is skipped instead of failing the whole query as loading the model would.
STORED_TOKEN = Cast("token", TextField())


def stored_token_account_key(*, base_url: str, stored_token: str | None) -> str | None:
    """The account key of a token as stored; None when no configured key can read it."""
    try:
        token = decrypt(stored_token) if stored_token else ""
    except EncryptionKeyError:
        return None
    return account_hash(base_url=base_url, token=token)


def configs_sharing_account(config: SignatureConfig) -> list[int]:
    """The ids of the configurations whose calls count against ``config``'s Clicksign account
    (``config`` included): the same service and token, the rate limiter's key. Several units of
    a school network often share one account under configurations of their own."""
    key = config_account_key(config)
    stored = (
        SignatureConfig.objects.filter(environment=config.environment)
        .annotate(stored_token=STORED_TOKEN)
        .values_list("pk", "stored_token")
    )
    return [
        pk
        for pk, stored_token in stored
        if stored_token_account_key(base_url=config.service_url, stored_token=stored_token) == key
    ]
