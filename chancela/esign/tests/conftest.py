from __future__ import annotations

from typing import Any

import pytest

from chancela.testing.factories import (
    make_config,
    make_person,
    make_signer_registration,
    make_unit,
    make_unit_group,
)


@pytest.fixture
def registrations(db: Any) -> dict[str, Any]:
    """Signer registrations for the clean-up (command and screen): a group REDE with units
    CENTRO and NORTE, a unit OUTRA outside it; the test e-mail registered under CENTRO's sandbox
    (twice, in two units), CENTRO's production and OUTRA's sandbox."""
    group = make_unit_group(code="REDE", name="Rede Centro")
    centro = make_unit(group, code="CENTRO", name="Campus Centro")
    norte = make_unit(group, code="NORTE", name="Campus Norte")
    outra = make_unit(code="OUTRA", name="Outra escola")
    sandbox = make_config(centro, name="Homologação Centro")
    production = make_config(centro, name="Produção Centro", environment="production")
    rows = {
        "centro_test": make_signer_registration(
            sandbox,
            make_person(centro, name="Teste Um Silva", email="teste@escola.br", cpf="52998224725"),
        ),
        "centro_other": make_signer_registration(
            sandbox, make_person(centro, email="ana@escola.br")
        ),
        "norte_test": make_signer_registration(
            sandbox, make_person(norte, email="TESTE@escola.br")
        ),
        "prod_test": make_signer_registration(
            production, make_person(centro, email="teste@escola.br")
        ),
        "outra_test": make_signer_registration(
            make_config(outra), make_person(outra, email="teste@escola.br")
        ),
    }
    return {
        "group": group,
        "centro": centro,
        "norte": norte,
        "outra": outra,
        "sandbox": sandbox,
        "production": production,
        **rows,
    }
