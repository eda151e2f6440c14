from __future__ import annotations

from typing import Any

import pytest

from chancela.testing.factories import make_config, make_document_type, make_unit


@pytest.fixture
def sendable(db: Any) -> Any:
    """A unit with an active sandbox configuration and a document type it may send."""
    unit = make_unit(name="Colégio Centro")
    document_type = make_document_type(make_config(unit), name="Contrato de rematrícula")
    return unit, document_type
