"""Payload schemas of the events Chancela sends to the ERP (OpenAPI ``webhooks``).

The payload itself is built by ``chancela.notifications.services.request_status_payload``; a
test validates a real one against these schemas.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from chancela.api.schemas import RequestStatusValue


class StatusChangedData(Schema):
    id: UUID = Field(..., description="Id da solicitação (`GET /signature-requests/{id}`).")
    external_id: str = Field(..., description="O identificador do sistema acadêmico.")
    unit: str
    document_type: str
    status: RequestStatusValue
    status_label: str = Field(..., description="A situação em português.")
    previous_status: RequestStatusValue | None
    environment: Literal["sandbox", "production"]
    legally_valid: bool = Field(
        ..., description="true só quando assinada em produção (a Sandbox nunca vale)."
    )
    updated_at: str = Field(..., description="Quando mudou (ISO 8601 com fuso).")


class StatusChangedEvent(Schema):
    type: Literal["signature_request.status_changed"]
    timestamp: str = Field(..., description="Quando o evento foi gerado (ISO 8601 com fuso).")
    data: StatusChangedData
