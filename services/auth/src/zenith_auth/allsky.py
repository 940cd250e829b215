"""Read the WebUI login of an Allsky install from its ``env.json``.

Allsky keeps the WebUI username in ``WEBUI_USERNAME`` and a bcrypt hash of
the password (PHP's ``password_hash``: ``$2y$...``) in ``WEBUI_PASSWORD``.
The hash is imported as it is; it verifies at the next login and is then
replaced by an argon2id hash.
"""

from __future__ import annotations

import json
from pathlib import Path

from zenith.errors import BadRequest
from zenith_auth.passwords import is_bcrypt
from zenith_auth.roles import validate_username

USERNAME_KEY = "WEBUI_USERNAME"
PASSWORD_KEY = "WEBUI_PASSWORD"


def read_allsky_login(path: str | Path) -> tuple[str, str]:
    """(username, bcrypt hash) from an Allsky ``env.json``; BadRequest explains
    what is wrong with the file otherwise."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadRequest(f"{path} does not exist (Allsky keeps it at ~/allsky/env.json)",
                         code="allsky_env") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"cannot read {path}: {exc}", code="allsky_env") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{path} is not valid JSON: {exc}", code="allsky_env") from None
    if not isinstance(data, dict):
        raise BadRequest(f"{path} does not hold a JSON object", code="allsky_env")
    missing = [key for key in (USERNAME_KEY, PASSWORD_KEY) if not data.get(key)]
    if missing:
        raise BadRequest(f"{path} has no {' and no '.join(missing)}: it holds no WebUI "
                         "login to import (set one in Allsky first)", code="allsky_env")
    username, password_hash = data[USERNAME_KEY], data[PASSWORD_KEY]
    if not isinstance(username, str) or not isinstance(password_hash, str):
        raise BadRequest(f"{path}: {USERNAME_KEY} and {PASSWORD_KEY} must be strings",
                         code="allsky_env")
    validate_username(username)
    if not is_bcrypt(password_hash):
        raise BadRequest(f"{path}: {PASSWORD_KEY} is not a bcrypt hash ($2y$/$2b$/$2a$); "
                         "only hashed Allsky logins can be imported", code="allsky_env")
    return username, password_hash
