"""Write the local `.env` on the first `make run` (generated keys; never committed).

Runs without Django so that it can prepare the settings Django needs.
Usage: python -m chancela.core.localenv [path]
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

TEMPLATE = """# Written by `make run` on first start. Local use only; never commit it.
CHANCELA_SECRET_KEY={secret_key}
CHANCELA_ENCRYPTION_KEYS={encryption_key}
CHANCELA_DEBUG=true
CHANCELA_PUBLIC_URL=http://127.0.0.1:8000
# The local Clicksign emulator stands in for Clicksign's sandbox.
CHANCELA_CLICKSIGN_SANDBOX_URL=http://127.0.0.1:8765
{production_lines}"""
PRODUCTION_LINES = """# ... and for production too (its demo production account), so that
# "Promover para produção" can be tried locally. Remove this line for the real Clicksign.
CHANCELA_CLICKSIGN_PRODUCTION_URL=http://127.0.0.1:8765
"""


def write_local_env(path: Path) -> bool:
    """Create `path` if it does not exist. Returns True when a new file was written.

    A `.env` written before the emulator had a production account gets the production URL
    line added (once), unless it already names a production URL.
    """
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if "CHANCELA_CLICKSIGN_PRODUCTION_URL" not in text:
            path.write_text(text.rstrip("\n") + "\n" + PRODUCTION_LINES, encoding="utf-8")
        return False
    path.write_text(
        TEMPLATE.format(
            secret_key=secrets.token_urlsafe(50),
            encryption_key=Fernet.generate_key().decode(),
            production_lines=PRODUCTION_LINES,
        ),
        encoding="utf-8",
    )
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if write_local_env(target):
        print(f"Wrote {target} with new secret and encryption keys.")  # noqa: T201
