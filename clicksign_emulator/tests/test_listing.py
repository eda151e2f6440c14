"""Collections: filters, sort, pagination, nested lists and deletions in draft."""

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from .conftest import (
    activate,
    add_document,
    add_requirements,
    add_signer,
    build_envelope,
    create_envelope,
)


def names(response):
    return [e["attributes"]["name"] for e in response.json()["data"]]


def three_envelopes(emu, api):
    made = []
    for name in ("Bravo", "Alfa", "Charlie"):
        made.append(create_envelope(api, name=name))
        emu.control.advance(3600)
    return made


def test_it_filters_envelopes_by_status_and_name(emu, api):
    three_envelopes(emu, api)
    scenario = build_envelope(api, envelope_attrs={"name": "Delta"})
    assert names(api.get("/envelopes", params={"filter[status]": "running"})) == ["Delta"]
    assert names(api.get("/envelopes", params={"filter[status]": "draft"})) == [
        "Bravo",
        "Alfa",
        "Charlie",
    ]
    assert names(api.get("/envelopes", params={"filter[name]": "Alfa"})) == ["Alfa"]
    assert names(api.get("/envelopes", params={"filter[name]": "Alf"})) == []
    assert scenario.envelope_id


def test_it_filters_envelopes_by_created_and_modified_ranges(emu, api):
    made = three_envelopes(emu, api)
    created = [datetime.fromisoformat(e["attributes"]["created"]) for e in made]
    start = (created[1] - timedelta(minutes=1)).isoformat()
    end = (created[1] + timedelta(minutes=1)).isoformat()
    assert names(api.get("/envelopes", params={"filter[created]": f"{start},{end}"})) == ["Alfa"]
    assert names(api.get("/envelopes", params={"filter[created]": f"{start},"})) == [
        "Alfa",
        "Charlie",
    ]
    assert names(api.get("/envelopes", params={"filter[modified]": f",{end}"})) == [
        "Bravo",
        "Alfa",
    ]
    day = created[0].date().isoformat()
    everything_that_day = api.get("/envelopes", params={"filter[created]": f"{day},{day}"})
    assert "Bravo" in names(everything_that_day)
    bad = api.get("/envelopes", params={"filter[created]": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["source"] == {"parameter": "filter[created]"}


def test_it_sorts_envelopes(emu, api):
    three_envelopes(emu, api)
    assert names(api.get("/envelopes", params={"sort": "name"})) == ["Alfa", "Bravo", "Charlie"]
    assert names(api.get("/envelopes", params={"sort": "-name"})) == ["Charlie", "Bravo", "Alfa"]
    assert names(api.get("/envelopes", params={"sort": "-created"})) == [
        "Charlie",
        "Alfa",
        "Bravo",
    ]
    assert api.get("/envelopes", params={"sort": "color"}).status_code == 400


def test_it_paginates_with_record_count_and_links(emu, api):
    three_envelopes(emu, api)
    first = api.get("/envelopes", params={"page[size]": 2, "sort": "name"}).json()
    assert [e["attributes"]["name"] for e in first["data"]] == ["Alfa", "Bravo"]
    assert first["meta"] == {"record_count": 3}
    assert set(first["links"]) == {"first", "last", "next"}
    query = parse_qs(urlsplit(first["links"]["next"]).query)
    assert query == {"sort": ["name"], "page[number]": ["2"], "page[size]": ["2"]}
    second = api.get(first["links"]["next"]).json()
    assert [e["attributes"]["name"] for e in second["data"]] == ["Charlie"]
    assert set(second["links"]) == {"first", "last", "prev"}
    assert parse_qs(urlsplit(second["links"]["last"]).query)["page[number]"] == ["2"]
    bad = api.get("/envelopes", params={"page[number]": 0})
    assert bad.status_code == 400


def test_it_refuses_a_page_size_over_its_limit_instead_of_trimming_it(emu, api):
    three_envelopes(emu, api)
    assert api.get("/envelopes", params={"page[size]": 50}).status_code == 200
    refused = api.get("/envelopes", params={"page[size]": 51})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["source"] == {"parameter": "page[size]"}
    emu.control.settings(max_page_size=100)
    assert api.get("/envelopes", params={"page[size]": 100}).status_code == 200


def test_it_lists_nested_resources(api):
    scenario = build_envelope(api, documents=2)
    base = f"/envelopes/{scenario.envelope_id}"
    assert api.get(f"{base}/documents").json()["meta"] == {"record_count": 2}
    assert api.get(f"{base}/signers").json()["meta"] == {"record_count": 1}
    requirements = api.get(f"{base}/requirements").json()
    assert requirements["meta"] == {"record_count": 4}
    one = requirements["data"][0]
    assert api.get(f"{base}/requirements/{one['id']}").json()["data"] == one
    signer = api.get(f"{base}/signers/{scenario.signer_id()}").json()["data"]
    assert signer["attributes"]["name"] == "Maria da Silva"
    assert "status" not in signer["attributes"]


def test_it_filters_events_by_name(emu, api):
    scenario = build_envelope(api, documents=2)
    emu.control.sign(scenario.signer_id())
    base = f"/envelopes/{scenario.envelope_id}"
    signs = api.get(f"{base}/events", params={"filter[name]": "sign"}).json()
    assert signs["meta"] == {"record_count": 2}
    assert {e["relationships"]["document"]["data"]["id"] for e in signs["data"]} == {
        d["id"] for d in scenario.documents
    }
    closing = api.get(
        f"{base}/documents/{scenario.document_id}/events",
        params={"filter[name]": "auto_close,document_closed"},
    ).json()
    assert [e["attributes"]["name"] for e in closing["data"]] == ["auto_close", "document_closed"]


def test_it_deletes_documents_signers_and_requirements_in_draft(api):
    envelope = create_envelope(api)
    document = add_document(api, envelope["id"])
    signer = add_signer(api, envelope["id"])
    add_requirements(api, envelope["id"], document["id"], signer["id"])
    base = f"/envelopes/{envelope['id']}"
    requirement = api.get(f"{base}/requirements").json()["data"][1]
    assert api.delete(f"{base}/requirements/{requirement['id']}").status_code == 204
    assert api.get(f"{base}/requirements").json()["meta"] == {"record_count": 1}
    assert api.delete(f"{base}/signers/{signer['id']}").status_code == 204
    assert api.get(f"{base}/requirements").json()["meta"] == {"record_count": 0}
    assert api.delete(f"{base}/documents/{document['id']}").status_code == 204
    assert api.get(f"{base}/documents").json()["meta"] == {"record_count": 0}


def test_it_removes_a_pending_signer_from_a_running_envelope(emu, api):
    scenario = build_envelope(
        api,
        signers=[
            {"name": "Ana Lima", "email": "ana@example.com"},
            {"name": "Bruno Costa", "email": "bruno@example.com"},
        ],
    )
    emu.control.sign(scenario.signer_id(0))
    response = api.delete(f"/envelopes/{scenario.envelope_id}/signers/{scenario.signer_id(1)}")
    assert response.status_code == 204
    events = api.get(f"/envelopes/{scenario.envelope_id}/events").json()["data"]
    assert [e["attributes"]["name"] for e in events][-3:] == [
        "remove_signer",
        "auto_close",
        "document_closed",
    ]
    envelope = api.get(f"/envelopes/{scenario.envelope_id}").json()["data"]
    assert envelope["attributes"]["status"] == "closed"


def test_it_edits_a_draft_and_a_running_envelope(emu, api):
    envelope = create_envelope(api, name="Rascunho")
    add_document(api, envelope["id"])
    response = api.patch(
        f"/envelopes/{envelope['id']}",
        json={
            "data": {
                "type": "envelopes",
                "attributes": {"default_subject": "Assunto", "locale": "en-US"},
            }
        },
    )
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["locale"] == "en-US"
    name_change = api.patch(
        f"/envelopes/{envelope['id']}",
        json={"data": {"type": "envelopes", "attributes": {"name": "Outro"}}},
    )
    assert name_change.status_code == 400
    assert name_change.json()["errors"][0]["detail"] == "name não está disponível"
    scenario = build_envelope(api)
    running_subject = api.patch(
        f"/envelopes/{scenario.envelope_id}",
        json={"data": {"type": "envelopes", "attributes": {"default_subject": "Tarde demais"}}},
    )
    assert running_subject.status_code == 422
    again = activate(api, scenario.envelope_id)
    assert again.status_code == 200
    assert emu.control.envelope(scenario.envelope_id)["activation_count"] == 1
