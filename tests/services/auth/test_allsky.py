"""Allsky's bcrypt logins: reading env.json, logging in, upgrading the hash."""

from __future__ import annotations

import json

import bcrypt
import pytest

from zenith.errors import BadRequest, Unauthorized
from zenith.storage.factory import open_metadata
from zenith_auth.allsky import read_allsky_login
from zenith_auth.core import AuthCore

from .conftest import login


def php_hash(password: str) -> str:
    """What PHP's password_hash() writes: bcrypt with the $2y$ prefix."""
    made = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    return "$2y$" + made[4:]


def write_env(tmp_path, **values) -> str:
    path = tmp_path / "env.json"
    path.write_text(json.dumps(values))
    return str(path)


def test_reads_the_webui_login(tmp_path):
    hashed = php_hash("allsky-secret")
    path = write_env(tmp_path, WEBUI_USERNAME="admin", WEBUI_PASSWORD=hashed, OTHER="x")
    assert read_allsky_login(path) == ("admin", hashed)


@pytest.mark.parametrize("content, expected", [
    (None, "does not exist"),
    ("{not json", "not valid JSON"),
    ("[1]", "does not hold a JSON object"),
    (json.dumps({"WEBUI_PASSWORD": "$2y$10$" + "a" * 53}), "has no WEBUI_USERNAME"),
    (json.dumps({"WEBUI_USERNAME": "admin"}), "has no WEBUI_PASSWORD"),
    (json.dumps({}), "has no WEBUI_USERNAME and no WEBUI_PASSWORD"),
    (json.dumps({"WEBUI_USERNAME": "admin", "WEBUI_PASSWORD": "plain-text"}),
     "not a bcrypt hash"),
    (json.dumps({"WEBUI_USERNAME": "a b", "WEBUI_PASSWORD": "$2y$10$" + "a" * 53}),
     "invalid username"),
])
def test_bad_env_files_are_explained(tmp_path, content, expected):
    path = tmp_path / "env.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BadRequest) as info:
        read_allsky_login(path)
    assert expected in info.value.message


async def test_a_2y_hash_logs_in_and_is_upgraded_to_argon2id(auth, bus, settings):
    store = await open_metadata(settings.resolved_metadata_url)
    core = AuthCore.build(store, settings)
    await core.users.add("pi", role="admin", password_hash=php_hash("allsky-secret"),
                         source="allsky")
    with pytest.raises(Unauthorized):
        await login(bus, "pi", "wrong-secret")
    pair = await login(bus, "pi", "allsky-secret")
    assert pair.user.role == "admin"
    stored = (await core.users.get("pi"))["password_hash"]
    assert stored.startswith("$argon2id$")
    assert (await login(bus, "pi", "allsky-secret")).user.username == "pi"
    await store.close()
