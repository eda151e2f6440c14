from clicksign_emulator.validation import cpf_is_valid

from .conftest import build_envelope


def test_it_builds_and_activates_an_envelope(api):
    scenario = build_envelope(api)
    assert (
        api.get(f"/envelopes/{scenario.envelope_id}").json()["data"]["attributes"]["status"]
        == "running"
    )


def test_it_knows_the_fixture_cpf_is_valid():
    assert cpf_is_valid("529.982.247-25")
