"""Which URLs we agree to POST events to (SSRF guard for host-ERP endpoints)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


def target_problem(url: str) -> str | None:
    """None when Chancela may deliver to `url`; otherwise why not, in Portuguese."""
    parts = urlsplit(url)
    allow_private = settings.CHANCELA_OUTBOUND_ALLOW_PRIVATE
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Informe uma URL completa, começando com https://."
    if parts.scheme == "http" and not allow_private:
        return "Use https:// — eventos com dados pessoais não trafegam sem criptografia."
    if parts.username or parts.password:
        return "A URL não pode conter usuário e senha."
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return f"O endereço {parts.hostname} não foi encontrado (DNS)."
    if not allow_private:
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                return "A URL aponta para um endereço interno da rede; use um endereço público."
    return None
