"""Everything the real service rejects: one test per rule, exact status and error body."""

import base64
from datetime import datetime, timedelta, timezone

from clicksign_emulator import blank_pdf

from .conftest import (
    activate,
    add_document,
    add_requirements,
    add_signer,
    build_envelope,
    create_envelope,
    data_uri,
    fixture_json,
    notify,
    post_requirement,
    post_signer,
    relationships,
)

BRT = timezone(timedelta(hours=-3))


def bad_request(attribute, detail, pointer=None):
    return {
        "errors": [
            {
                "code": "bad_request",
                "status": 400,
                "source": {"pointer": pointer or f"/data/attributes/{attribute}"},
                "detail": detail,
            }
        ]
    }


def unprocessable(attribute, title, pointer=None):
    return {
        "errors": [
            {
                "title": title,
                "detail": f"{attribute} - {title}",
                "code": "100",
                "source": {"pointer": pointer or f"/data/attributes/{attribute}"},
                "status": "422",
            }
        ]
    }


def post_document(api, envelope_id, **attrs):
    return api.post(
        f"/envelopes/{envelope_id}/documents",
        json={"data": {"type": "documents", "attributes": attrs}},
    )


# ---------------------------------------------------------------------- documents


def test_it_rejects_bare_base64_instead_of_a_data_uri(api):
    envelope = create_envelope(api)
    bare = base64.b64encode(blank_pdf()).decode()
    response = post_document(api, envelope["id"], filename="a.pdf", content_base64=bare)
    assert response.status_code == 400
    assert response.json() == fixture_json("errors/bare_base64.json")


def test_it_rejects_a_mime_type_outside_the_list(api):
    envelope = create_envelope(api)
    gif = data_uri(b"GIF89a...", "image/gif")
    response = post_document(api, envelope["id"], filename="foto.png", content_base64=gif)
    assert response.status_code == 422
    assert response.json() == unprocessable("content_base64", "tipo de arquivo não permitido")


def test_it_rejects_a_filename_with_an_unknown_extension(api):
    envelope = create_envelope(api)
    response = post_document(
        api, envelope["id"], filename="planilha.xlsx", content_base64=data_uri(blank_pdf())
    )
    assert response.status_code == 400
    assert response.json() == bad_request("filename", "filename não está em um formato válido")


def test_it_requires_filename_and_content(api):
    envelope = create_envelope(api)
    response = post_document(api, envelope["id"])
    assert response.status_code == 400
    assert response.json() == fixture_json("errors/filename_missing.json")


def test_it_rejects_empty_content(api):
    envelope = create_envelope(api)
    response = post_document(
        api, envelope["id"], filename="a.pdf", content_base64="data:application/pdf;base64,"
    )
    assert response.status_code == 422
    assert (
        response.json()["errors"][0]
        == unprocessable("content", "não pode ficar em branco")["errors"][0]
    )


def test_it_rejects_a_file_over_10_mb(api):
    envelope = create_envelope(api)
    content = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 - 8)
    response = post_document(
        api, envelope["id"], filename="big.pdf", content_base64=data_uri(content)
    )
    assert response.status_code == 422
    assert response.json() == unprocessable("content", "deve ser menor ou igual a 10 MB")


def test_it_accepts_a_file_of_exactly_10_mb(api):
    envelope = create_envelope(api)
    content = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 - 9)
    response = post_document(
        api, envelope["id"], filename="big.pdf", content_base64=data_uri(content)
    )
    assert response.status_code == 201


def test_it_rejects_an_envelope_over_100_mb(emu, api):
    # Same rule, scaled down (the limit is configurable) to keep the suite fast.
    emu.control.settings(max_file_bytes=1000, max_envelope_bytes=2500)
    envelope = create_envelope(api)
    content = b"%PDF-1.4\n" + b"0" * 991
    for _ in range(2):
        post = post_document(
            api, envelope["id"], filename="a.pdf", content_base64=data_uri(content)
        )
        assert post.status_code == 201
    response = post_document(
        api, envelope["id"], filename="c.pdf", content_base64=data_uri(content)
    )
    assert response.status_code == 422
    assert response.json() == unprocessable(
        "content", "ultrapassa o limite de 2500 bytes por envelope"
    )
    emu.control.reset()
    assert emu.control.settings()["max_envelope_bytes"] == 100 * 1024 * 1024


def test_it_words_the_envelope_limit_in_megabytes_by_default(emu, api):
    emu.control.settings(max_envelope_bytes=2 * 1024 * 1024)
    envelope = create_envelope(api)
    add_document(api, envelope["id"], content=b"%PDF-1.4\n" + b"0" * (1024 * 1024))
    response = post_document(
        api,
        envelope["id"],
        filename="b.pdf",
        content_base64=data_uri(b"%PDF-1.4\n" + b"0" * (1024 * 1024)),
    )
    assert response.json() == unprocessable("content", "ultrapassa o limite de 2 MB por envelope")


def test_it_rejects_a_pdf_that_is_not_a_pdf(api):
    envelope = create_envelope(api)
    response = post_document(
        api, envelope["id"], filename="a.pdf", content_base64=data_uri(b"hello")
    )
    assert response.status_code == 422
    assert response.json() == unprocessable("content", "não é um arquivo PDF válido")


def test_it_rejects_template_mode_without_a_docx_filename(api):
    envelope = create_envelope(api)
    response = post_document(
        api, envelope["id"], filename="modelo.pdf", template={"key": "x", "data": {}}
    )
    assert response.status_code == 400
    assert response.json() == bad_request("filename", "filename não está em um formato válido")


def test_it_rejects_template_data_that_is_not_a_hash(api):
    envelope = create_envelope(api)
    response = post_document(
        api, envelope["id"], filename="modelo.docx", template={"key": "x", "data": "{}"}
    )
    assert response.status_code == 400
    assert response.json() == bad_request(
        None, "data deve ser um hash", "/data/attributes/template/data"
    )


def test_it_refuses_to_delete_a_document_outside_draft(api):
    scenario = build_envelope(api)
    response = api.delete(f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}")
    assert response.status_code == 403
    assert response.json() == fixture_json("errors/not_draft.json")


def test_it_refuses_to_cancel_a_document_that_is_not_running(api):
    envelope = create_envelope(api)
    document = add_document(api, envelope["id"])
    response = api.patch(
        f"/envelopes/{envelope['id']}/documents/{document['id']}",
        json={
            "data": {
                "id": document["id"],
                "type": "documents",
                "attributes": {"status": "canceled"},
            }
        },
    )
    assert response.status_code == 422
    assert response.json() == unprocessable("status", "documento não pode ser cancelado")


def test_it_only_accepts_canceled_or_closed_on_a_document(api):
    scenario = build_envelope(api)
    response = api.patch(
        f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}",
        json={"data": {"type": "documents", "attributes": {"status": "running", "filename": "x"}}},
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            bad_request("filename", "filename não está disponível")["errors"][0],
            bad_request("status", "status deve estar em: canceled, closed")["errors"][0],
        ]
    }


# ---------------------------------------------------------------------- envelopes


def test_it_rejects_a_deadline_in_the_past(emu, api):
    now = datetime.fromisoformat(emu.control.clock()["now"])
    response = api.post(
        "/envelopes",
        json={
            "data": {
                "type": "envelopes",
                "attributes": {"name": "X", "deadline_at": (now - timedelta(hours=1)).isoformat()},
            }
        },
    )
    assert response.status_code == 422
    body = response.json()
    error = body["errors"][0]
    assert error["title"].startswith("deve ser maior ou igual a ")
    assert error["detail"] == f"deadline_at - {error['title']}"
    assert body == unprocessable("deadline_at", error["title"])
    stamp = error["title"].removeprefix("deve ser maior ou igual a ")
    shown = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S %z")
    assert abs((shown - now).total_seconds()) < 5


def test_it_rejects_a_deadline_beyond_90_days(emu, api):
    now = datetime.fromisoformat(emu.control.clock()["now"])
    response = api.post(
        "/envelopes",
        json={
            "data": {
                "type": "envelopes",
                "attributes": {"name": "X", "deadline_at": (now + timedelta(days=91)).isoformat()},
            }
        },
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["title"].startswith("deve ser menor ou igual a ")
    assert response.json() == unprocessable("deadline_at", error["title"])


def test_it_accepts_a_deadline_within_90_days(emu, api):
    now = datetime.fromisoformat(emu.control.clock()["now"])
    deadline = (now + timedelta(days=89)).replace(microsecond=0)
    envelope = create_envelope(api, deadline_at=deadline.isoformat())
    assert datetime.fromisoformat(envelope["attributes"]["deadline_at"]) == deadline


def test_it_rejects_an_unknown_locale(api):
    response = api.post(
        "/envelopes",
        json={"data": {"type": "envelopes", "attributes": {"name": "X", "locale": "pt-PT"}}},
    )
    assert response.status_code == 400
    assert response.json() == fixture_json("errors/locale.json")


def test_it_rejects_an_unknown_remind_interval(api):
    response = api.post(
        "/envelopes",
        json={"data": {"type": "envelopes", "attributes": {"name": "X", "remind_interval": 5}}},
    )
    assert response.status_code == 400
    assert response.json() == bad_request(
        "remind_interval", "remind_interval deve estar em: 1, 2, 3, 7, 14, null"
    )


def test_it_accepts_remind_interval_as_a_string_and_answers_an_integer(api):
    envelope = create_envelope(api, remind_interval="7")
    assert envelope["attributes"]["remind_interval"] == 7


def test_it_rejects_unknown_envelope_attributes(api):
    response = api.post(
        "/envelopes",
        json={"data": {"type": "envelopes", "attributes": {"name": "X", "status": "running"}}},
    )
    assert response.status_code == 400
    assert response.json() == bad_request("status", "status não está disponível")


def test_it_requires_the_envelope_name(api):
    response = api.post("/envelopes", json={"data": {"type": "envelopes", "attributes": {}}})
    assert response.status_code == 400
    assert response.json() == bad_request("name", "name deve ser informado(a)")


def test_it_requires_the_data_member(api):
    response = api.post("/envelopes", json={})
    assert response.status_code == 400
    assert response.json() == fixture_json("errors/data_missing.json")


def test_it_rejects_a_status_write_other_than_draft_or_running(api):
    scenario = build_envelope(api)
    response = api.patch(
        f"/envelopes/{scenario.envelope_id}",
        json={"data": {"type": "envelopes", "attributes": {"status": "canceled"}}},
    )
    assert response.status_code == 400
    assert response.json() == fixture_json("errors/status_write.json")


def test_it_refuses_to_delete_a_running_envelope(api):
    scenario = build_envelope(api)
    response = api.delete(f"/envelopes/{scenario.envelope_id}")
    assert response.status_code == 403
    assert response.json() == fixture_json("errors/not_draft.json")


def test_it_deletes_a_draft_envelope(api):
    envelope = create_envelope(api)
    assert api.delete(f"/envelopes/{envelope['id']}").status_code == 204
    assert api.get(f"/envelopes/{envelope['id']}").status_code == 404


def test_it_refuses_activation_without_requirements(api):
    envelope = create_envelope(api)
    add_document(api, envelope["id"], filename="contrato.pdf")
    add_signer(api, envelope["id"], name="Maria da Silva")
    response = activate(api, envelope["id"])
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            unprocessable(
                "status",
                "O signatário Maria da Silva deve possuir ao menos um requisito de autenticação",
            )["errors"][0],
            unprocessable(
                "status",
                "O signatário Maria da Silva deve possuir requisito de qualificação no documento "
                "contrato.pdf",
            )["errors"][0],
        ]
    }
    assert api.get(f"/envelopes/{envelope['id']}").json()["data"]["attributes"]["status"] == "draft"


def test_it_refuses_activation_when_a_qualified_signer_lacks_authentication(api):
    envelope = create_envelope(api)
    document = add_document(api, envelope["id"], filename="contrato.pdf")
    signer = add_signer(api, envelope["id"], name="Maria da Silva")
    post_requirement(api, envelope["id"], document["id"], signer["id"], action="agree", role="sign")
    response = activate(api, envelope["id"])
    assert response.status_code == 422
    details = [e["detail"] for e in response.json()["errors"]]
    assert details == [
        "status - O signatário Maria da Silva deve possuir ao menos um requisito de autenticação",
        "status - O signatário Maria da Silva deve possuir requisito de autenticação no documento "
        "contrato.pdf",
    ]


def test_it_refuses_activation_when_a_signer_misses_a_document(api):
    envelope = create_envelope(api)
    first = add_document(api, envelope["id"], filename="contrato.pdf")
    add_document(api, envelope["id"], filename="anexo.pdf")
    signer = add_signer(api, envelope["id"], name="Maria da Silva")
    add_requirements(api, envelope["id"], first["id"], signer["id"])
    response = activate(api, envelope["id"])
    assert response.status_code == 422
    assert [e["detail"] for e in response.json()["errors"]] == [
        "status - O signatário Maria da Silva deve possuir requisito de qualificação no documento "
        "anexo.pdf"
    ]


def test_it_refuses_activation_of_an_empty_envelope(api):
    envelope = create_envelope(api)
    response = activate(api, envelope["id"])
    assert response.status_code == 422
    assert [e["title"] for e in response.json()["errors"]] == [
        "O envelope deve possuir ao menos um documento",
        "O envelope deve possuir ao menos um signatário",
    ]


# ---------------------------------------------------------------------- signers


def test_it_rejects_a_signer_name_with_one_word(api):
    envelope = create_envelope(api)
    response = post_signer(api, envelope["id"], name="Maria", email="m@example.com")
    assert response.status_code == 400
    assert response.json() == bad_request("name", "name não está em um formato válido")


def test_it_rejects_a_signer_name_with_digits(api):
    envelope = create_envelope(api)
    response = post_signer(api, envelope["id"], name="Maria da Silva 2", email="m@example.com")
    assert response.status_code == 400
    assert response.json() == bad_request("name", "name não está em um formato válido")


def test_it_rejects_a_bad_cpf(api):
    envelope = create_envelope(api)
    response = post_signer(
        api,
        envelope["id"],
        name="Maria da Silva",
        email="m@example.com",
        documentation="123.456.789-00",
    )
    assert response.status_code == 422
    assert response.json() == fixture_json("errors/invalid_cpf.json")


def test_it_rejects_an_unformatted_cpf(api):
    envelope = create_envelope(api)
    response = post_signer(
        api,
        envelope["id"],
        name="Maria da Silva",
        email="m@example.com",
        documentation="52998224725",
    )
    assert response.status_code == 422
    assert response.json() == fixture_json("errors/invalid_cpf.json")


def test_it_accepts_a_signer_as_chancela_sends_it(api):
    envelope = create_envelope(api)
    body = fixture_json("requests/signer.json")
    response = api.post(f"/envelopes/{envelope['id']}/signers", json=body)
    assert response.status_code == 201
    attributes = response.json()["data"]["attributes"]
    assert attributes["documentation"] == "529.982.247-25"
    assert attributes["group"] == 1
    assert attributes["communicate_events"] == {
        "document_signed": "email",
        "signature_request": "email",
        "signature_reminder": "email",
    }


def test_it_rejects_a_bad_phone(api):
    envelope = create_envelope(api)
    for phone in ("+5511987654321", "(11) 98765-4321", "1198765432", "123"):
        response = post_signer(
            api, envelope["id"], name="Maria da Silva", email="m@example.com", phone_number=phone
        )
        assert response.status_code == 400, phone
        assert response.json() == bad_request(
            "phone_number", "phone_number não está em um formato válido"
        )


def test_it_accepts_phones_with_ddd_and_optionally_the_country_code(api):
    envelope = create_envelope(api)
    for phone in ("11987654321", "5511987654321", "1133334444"):
        response = post_signer(
            api, envelope["id"], name="Maria da Silva", email="m@example.com", phone_number=phone
        )
        assert response.status_code == 201, phone


def test_it_rejects_communicate_by_on_signers(api):
    envelope = create_envelope(api)
    response = post_signer(
        api, envelope["id"], name="Maria da Silva", email="m@example.com", communicate_by="email"
    )
    assert response.status_code == 400
    assert response.json() == fixture_json("errors/communicate_by.json")


def test_it_requires_a_phone_for_sms_signature_requests(api):
    envelope = create_envelope(api)
    response = post_signer(
        api,
        envelope["id"],
        name="Maria da Silva",
        communicate_events={"signature_request": "whatsapp"},
    )
    assert response.status_code == 400
    assert response.json() == bad_request("phone_number", "phone_number deve ser informado(a)")


def test_it_rejects_documentation_when_has_documentation_is_false(api):
    envelope = create_envelope(api)
    response = post_signer(
        api,
        envelope["id"],
        name="Maria da Silva",
        email="m@example.com",
        has_documentation=False,
        documentation="529.982.247-25",
    )
    assert response.status_code == 422
    assert response.json() == unprocessable("documentation", "deve ficar em branco")


def test_it_refuses_signers_on_a_closed_or_canceled_envelope(emu, api):
    closed = build_envelope(api)
    emu.control.sign(closed.signer_id())
    canceled = build_envelope(api)
    api.patch(
        f"/envelopes/{canceled.envelope_id}/documents/{canceled.document_id}",
        json={"data": {"type": "documents", "attributes": {"status": "canceled"}}},
    )
    for scenario, status in ((closed, "closed"), (canceled, "canceled")):
        envelope = api.get(f"/envelopes/{scenario.envelope_id}").json()["data"]
        assert envelope["attributes"]["status"] == status
        response = post_signer(api, scenario.envelope_id, name="João Souza", email="j@example.com")
        assert response.status_code == 403
        assert response.json() == fixture_json("errors/not_draft.json")


def test_it_accepts_signers_on_a_running_envelope(api):
    scenario = build_envelope(api)
    response = post_signer(api, scenario.envelope_id, name="João Souza", email="j@example.com")
    assert response.status_code == 201


def test_it_refuses_to_delete_a_signer_who_already_signed(emu, api):
    scenario = build_envelope(
        api,
        documents=2,
        signers=[{"name": "Maria da Silva", "email": "m@example.com"}],
    )
    emu.control.sign(scenario.signer_id(), document_ids=[scenario.document_id])
    response = api.delete(f"/envelopes/{scenario.envelope_id}/signers/{scenario.signer_id()}")
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "code": "forbidden",
                "status": 403,
                "title": "Verificação",
                "detail": "Já assinou um documento. Não pode ser excluído",
            }
        ]
    }


# ---------------------------------------------------------------------- requirements


def test_it_rejects_an_unknown_requirement_action(api):
    scenario = build_envelope(api, activate_it=False)
    response = post_requirement(
        api, scenario.envelope_id, scenario.document_id, scenario.signer_id(), action="sign"
    )
    assert response.status_code == 400
    assert response.json() == bad_request(
        "action", "action deve estar em: agree, provide_evidence, rubricate"
    )


def test_it_rejects_an_unknown_role(api):
    scenario = build_envelope(api, activate_it=False)
    response = post_requirement(
        api, scenario.envelope_id, scenario.document_id, scenario.signer_id(),
        action="agree", role="student",
    )  # fmt: skip
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"] == {"pointer": "/data/attributes/role"}
    assert error["detail"].startswith("role deve estar em: account_holder, accountant,")
    assert "legal_guardian" in error["detail"] and "witness" in error["detail"]


def test_it_rejects_an_unknown_auth(api):
    scenario = build_envelope(api, activate_it=False)
    response = post_requirement(
        api, scenario.envelope_id, scenario.document_id, scenario.signer_id(),
        action="provide_evidence", auth="token",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == bad_request(
        "auth",
        "auth deve estar em: email, sms, whatsapp, pix, icp_brasil, handwritten, selfie, "
        "official_document, address_proof, liveness, facial_biometrics, identity_biometrics, "
        "auto_signature, presential, embedded_signature, biometric, documentscopy",
    )


def test_it_rejects_a_duplicate_requirement(api):
    scenario = build_envelope(api, activate_it=False)
    response = post_requirement(
        api, scenario.envelope_id, scenario.document_id, scenario.signer_id(),
        action="agree", role="sign",
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json() == unprocessable("action", "já está em uso")


def test_it_accepts_a_second_role_for_the_same_signer(api):
    scenario = build_envelope(api, activate_it=False)
    response = post_requirement(
        api, scenario.envelope_id, scenario.document_id, scenario.signer_id(),
        action="agree", role="witness",
    )  # fmt: skip
    assert response.status_code == 201


def test_it_rejects_two_token_channels_for_one_signer(api):
    envelope = create_envelope(api)
    document = add_document(api, envelope["id"])
    signer = add_signer(api, envelope["id"], phone_number="11987654321")
    add_requirements(api, envelope["id"], document["id"], signer["id"], auth="email")
    response = post_requirement(
        api, envelope["id"], document["id"], signer["id"], action="provide_evidence", auth="sms"
    )
    assert response.status_code == 422
    assert response.json() == unprocessable(
        "auth", "Só é permitido enviar uma das opções: email, sms, whatsapp"
    )


def test_it_rejects_sms_or_whatsapp_without_a_phone(api):
    envelope = create_envelope(api)
    document = add_document(api, envelope["id"])
    signer = add_signer(api, envelope["id"])
    for auth in ("sms", "whatsapp"):
        response = post_requirement(
            api, envelope["id"], document["id"], signer["id"], action="provide_evidence", auth=auth
        )
        assert response.status_code == 422
        assert response.json() == unprocessable(
            "phone_number", "não pode ficar em branco", "/data/attributes/auth"
        )


def test_it_rejects_incompatible_biometric_auths(api):
    envelope = create_envelope(api)
    document = add_document(api, envelope["id"])
    signer = add_signer(api, envelope["id"])
    post_requirement(
        api, envelope["id"], document["id"], signer["id"], action="provide_evidence", auth="selfie"
    )
    response = post_requirement(
        api, envelope["id"], document["id"], signer["id"],
        action="provide_evidence", auth="facial_biometrics",
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json() == unprocessable(
        "auth", "facial_biometrics não pode ser combinado com selfie"
    )


def test_it_rejects_a_requirement_for_a_document_of_another_envelope(api):
    envelope = create_envelope(api)
    signer = add_signer(api, envelope["id"])
    other = create_envelope(api)
    foreign = add_document(api, other["id"])
    response = post_requirement(
        api, envelope["id"], foreign["id"], signer["id"], action="agree", role="sign"
    )
    assert response.status_code == 400
    assert response.json() == bad_request(
        None,
        f"Documento {foreign['id']} não encontrado no envelope",
        "/data/relationships/document",
    )


def test_it_refuses_requirement_edits_outside_draft(api):
    scenario = build_envelope(api)
    response = post_requirement(
        api, scenario.envelope_id, scenario.document_id, scenario.signer_id(),
        action="provide_evidence", auth="selfie",
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json() == fixture_json("errors/not_draft.json")
    requirements = api.get(f"/envelopes/{scenario.envelope_id}/requirements").json()["data"]
    response = api.delete(f"/envelopes/{scenario.envelope_id}/requirements/{requirements[0]['id']}")
    assert response.status_code == 403
    assert response.json() == fixture_json("errors/not_draft.json")


def test_it_allows_bulk_requirement_changes_on_a_running_envelope(api):
    scenario = build_envelope(api)
    requirements = api.get(f"/envelopes/{scenario.envelope_id}/requirements").json()["data"]
    email_auth = next(r for r in requirements if r["attributes"]["action"] == "provide_evidence")
    response = api.post(
        f"/envelopes/{scenario.envelope_id}/bulk_requirements",
        json={
            "atomic:operations": [
                {"op": "remove", "ref": {"type": "requirements", "id": email_auth["id"]}},
                {
                    "op": "add",
                    "data": {
                        "type": "requirements",
                        "attributes": {"action": "provide_evidence", "auth": "icp_brasil"},
                        "relationships": relationships(scenario.document_id, scenario.signer_id()),
                    },
                },
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()["atomic:results"]
    assert results[0] == {}
    assert results[1]["data"]["attributes"]["auth"] == "icp_brasil"


def test_it_keeps_a_bulk_operation_atomic(api):
    scenario = build_envelope(api, activate_it=False)
    before = api.get(f"/envelopes/{scenario.envelope_id}/requirements").json()["meta"]
    response = api.post(
        f"/envelopes/{scenario.envelope_id}/bulk_requirements",
        json={
            "atomic:operations": [
                {
                    "op": "add",
                    "data": {
                        "type": "requirements",
                        "attributes": {"action": "provide_evidence", "auth": "selfie"},
                        "relationships": relationships(scenario.document_id, scenario.signer_id()),
                    },
                },
                {
                    "op": "add",
                    "data": {
                        "type": "requirements",
                        "attributes": {"action": "agree", "role": "sign"},
                        "relationships": relationships(scenario.document_id, scenario.signer_id()),
                    },
                },
            ]
        },
    )
    assert response.status_code == 422
    assert response.json() == unprocessable(
        "action", "já está em uso", "/atomic:operations/1/data/attributes/action"
    )
    after = api.get(f"/envelopes/{scenario.envelope_id}/requirements").json()["meta"]
    assert after == before


def test_it_refuses_a_bulk_that_leaves_a_running_signer_without_authentication(api):
    scenario = build_envelope(api)
    requirements = api.get(f"/envelopes/{scenario.envelope_id}/requirements").json()["data"]
    email_auth = next(r for r in requirements if r["attributes"]["action"] == "provide_evidence")
    response = api.post(
        f"/envelopes/{scenario.envelope_id}/bulk_requirements",
        json={
            "atomic:operations": [
                {"op": "remove", "ref": {"type": "requirements", "id": email_auth["id"]}}
            ]
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"] == {"pointer": "/atomic:operations"}


# ---------------------------------------------------------------------- notifications


def test_it_refuses_notifications_on_a_draft_envelope(api):
    scenario = build_envelope(api, activate_it=False)
    response = notify(api, scenario.envelope_id)
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "code": "forbidden",
                "status": 403,
                "title": "Verificação",
                "detail": "envelope não está com status running",
            }
        ]
    }


def test_it_requires_data_and_a_hash_of_attributes_to_notify(emu, api):
    scenario = build_envelope(api)
    response = api.post(f"/envelopes/{scenario.envelope_id}/notifications")
    assert response.status_code == 400
    assert response.json() == fixture_json("errors/data_missing.json")
    emu.control.advance(61)
    response = api.post(
        f"/envelopes/{scenario.envelope_id}/notifications",
        json={"data": {"type": "notifications", "attributes": []}},
    )
    assert response.status_code == 400
    assert response.json() == fixture_json("errors/attributes_not_hash.json")


def test_it_refuses_to_notify_a_signer_outside_the_current_group(api):
    scenario = build_envelope(
        api,
        signers=[
            {"name": "Ana Lima", "email": "ana@example.com", "group": 1},
            {"name": "Bruno Costa", "email": "bruno@example.com", "group": 2},
        ],
    )
    response = api.post(
        f"/envelopes/{scenario.envelope_id}/signers/{scenario.signer_id(1)}/notifications",
        json={"data": {"type": "notifications", "attributes": {}}},
    )
    assert response.status_code == 422
    assert response.json() == unprocessable(
        "signer", "não pertence ao grupo de assinatura atual", "/data"
    )


# ---------------------------------------------------------------------- webhooks


def test_it_rejects_a_duplicate_webhook_endpoint(api):
    body = fixture_json("requests/webhook.json")
    assert api.post("/webhooks", json=body).status_code == 201
    response = api.post("/webhooks", json=body)
    assert response.status_code == 422
    assert response.json() == fixture_json("errors/endpoint_taken.json")


def test_it_requires_webhook_events(api):
    response = api.post(
        "/webhooks",
        json={"data": {"type": "webhooks", "attributes": {"endpoint": "http://127.0.0.1:9/x"}}},
    )
    assert response.status_code == 400
    assert response.json() == bad_request("events", "events deve ser informado(a)")


def test_it_rejects_unknown_webhook_events(api):
    response = api.post(
        "/webhooks",
        json={
            "data": {
                "type": "webhooks",
                "attributes": {"endpoint": "http://127.0.0.1:9/x", "events": ["signed"]},
            }
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"].startswith("events deve estar em: upload, ")
