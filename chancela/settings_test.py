"""Settings for the test suite: the real settings plus fixed, test-only keys and fast hashing.

The database stays real (SQLite file or PostgreSQL, from CHANCELA_DATABASE_URL).
"""

import os
from pathlib import Path

os.environ["CHANCELA_IGNORE_DOTENV"] = "true"
os.environ.setdefault("CHANCELA_SECRET_KEY", "test-only-secret-key-not-for-production")
# Two test-only Fernet keys, newest first (tests of rotation build their own lists).
os.environ.setdefault(
    "CHANCELA_ENCRYPTION_KEYS",
    "K2rW1sXnS3y6gYpK1b0n8o3bHhJcQm7qfJ3mUu6b0wE=,b3Qm1YkZ2k4yN0h6Zb1l2q0Jr7b5c1x9S4d8F2g6H0I=",
)

from chancela.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(os.environ.get("CHANCELA_MEDIA_ROOT") or DATA_DIR / "test-files")  # noqa: F405
CHANCELA_OUTBOUND_ALLOW_PRIVATE = True
# django-axes needs the request in authenticate(); the test client's login() has none. The
# throttling tests turn it back on.
AXES_ENABLED = False
