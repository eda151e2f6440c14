"""Verifying the Content-Hmac of Clicksign's webhooks."""

import hashlib
import hmac

from chancela.clicksign.events import expected_signature, verify_signature

SECRET = "973d92ca80c2206a0e65b35d2371d595"
PREVIOUS = "0123456789abcdef0123456789abcdef"
BODY = b'{"event":{"name":"sign"},"document":{"key":"664544e7"}}'


def _header(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_it_accepts_the_hmac_of_the_raw_body():
    assert expected_signature(BODY, SECRET) == _header(BODY, SECRET)
    assert verify_signature(BODY, _header(BODY, SECRET), [SECRET])


def test_it_refuses_a_body_with_one_flipped_byte():
    header = _header(BODY, SECRET)
    flipped = BODY[:5] + bytes([BODY[5] ^ 0x01]) + BODY[6:]
    assert not verify_signature(flipped, header, [SECRET])


def test_it_refuses_a_body_that_was_re_serialised():
    assert not verify_signature(BODY.replace(b":", b": "), _header(BODY, SECRET), [SECRET])


def test_it_accepts_the_previous_secret_during_a_rotation():
    header = _header(BODY, PREVIOUS)
    assert verify_signature(BODY, header, [SECRET, PREVIOUS])
    assert not verify_signature(BODY, header, [SECRET])


def test_it_tolerates_spaces_but_not_another_case_in_the_header():
    # Clicksign sends "sha256=" + lowercase hex; the forged corpus of issue 5 requires that an
    # uppercase variant is refused.
    header = _header(BODY, SECRET)
    assert verify_signature(BODY, "  " + header + " ", [SECRET])
    assert not verify_signature(BODY, "sha256=" + header[7:].upper(), [SECRET])
    assert not verify_signature(BODY, "SHA256=" + header[7:], [SECRET])


def test_it_refuses_missing_or_malformed_headers_and_empty_secrets():
    digest = _header(BODY, SECRET)[7:]
    assert not verify_signature(BODY, "", [SECRET])
    assert not verify_signature(BODY, digest, [SECRET])  # no "sha256=" prefix
    assert not verify_signature(BODY, "sha1=" + digest, [SECRET])
    assert not verify_signature(BODY, "sha256=ünïcode", [SECRET])
    assert not verify_signature(BODY, _header(BODY, ""), ["", None])  # type: ignore[list-item]
    assert not verify_signature(BODY, _header(BODY, SECRET), [])
