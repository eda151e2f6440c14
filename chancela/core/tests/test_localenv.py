from cryptography.fernet import Fernet

from chancela.core.env import load_dotenv
from chancela.core.localenv import write_local_env


def test_it_writes_a_dotenv_with_generated_keys_once(tmp_path, monkeypatch):
    target = tmp_path / ".env"
    assert write_local_env(target) is True
    first = target.read_text()
    assert write_local_env(target) is False
    assert target.read_text() == first
    assert oct(target.stat().st_mode)[-3:] == "600"

    for name in ("CHANCELA_SECRET_KEY", "CHANCELA_ENCRYPTION_KEYS", "CHANCELA_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    load_dotenv(target)
    import os

    Fernet(os.environ["CHANCELA_ENCRYPTION_KEYS"].encode())
    assert len(os.environ["CHANCELA_SECRET_KEY"]) >= 50


def test_it_never_overrides_a_variable_already_in_the_environment(tmp_path, monkeypatch):
    target = tmp_path / ".env"
    target.write_text("CHANCELA_PUBLIC_URL=http://from-file\n# comment\nexport OTHER_X='quoted'\n")
    monkeypatch.setenv("CHANCELA_PUBLIC_URL", "https://from-env")
    monkeypatch.delenv("OTHER_X", raising=False)
    load_dotenv(target)
    import os

    assert os.environ["CHANCELA_PUBLIC_URL"] == "https://from-env"
    assert os.environ["OTHER_X"] == "quoted"
