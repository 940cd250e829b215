"""The public join form over HTTP: stored on a good post, nothing stored on a
bad one (clear form errors, 4xx JSON), CSRF and origin checks, the honeypot,
the per-address limit, and stored text shown escaped to the admin."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.services.web.admin_stack import Stack, admin_stack, csrf_of, join_form, session_of

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str
                ) -> AsyncIterator[Stack]:
    async with admin_stack(tmp_path_factory.mktemp("join"), remote_host, join_limit=4) as s:
        yield s


async def form_token(client) -> str:  # type: ignore[no-untyped-def]
    async with client.get("/join") as resp:
        assert resp.status == 200
        text = await resp.text()
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match and match.group(1) == csrf_of(client)
    return match.group(1)


async def test_join_form_stores_a_request_and_says_received(stack: Stack) -> None:
    client = stack.web.remote()
    token = await form_token(client)
    before = len(await stack.pending())
    form = join_form(csrf_token=token)
    async with client.post("/join", data=form, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/join/received"
    async with client.get("/join/received") as resp:
        assert "reply by email" in await resp.text()
    pending = await stack.pending()
    assert len(pending) == before + 1
    assert pending[0].email == form["email"] and pending[0].notes == form["notes"]


async def test_without_csrf_or_from_another_site_nothing_is_stored(stack: Stack) -> None:
    client = stack.web.remote()
    token = await form_token(client)
    before = len(await stack.pending())
    async with client.post("/join", data=join_form()) as resp:
        assert resp.status == 403 and (await resp.json())["error"]["code"] == "csrf"
    async with client.post("/join", data=join_form(csrf_token="forged")) as resp:
        assert resp.status == 403
    async with client.post("/join", data=join_form(csrf_token=token),
                           headers={"Origin": "https://evil.example"}) as resp:
        assert resp.status == 403 and (await resp.json())["error"]["code"] == "bad_origin"
    other = stack.web.remote()  # a browser without the cookie, given someone's token
    async with other.post("/join", data=join_form(csrf_token=token)) as resp:
        assert resp.status == 403
    assert len(await stack.pending()) == before


async def test_the_honeypot_is_answered_as_received_and_stores_nothing(stack: Stack) -> None:
    client = stack.web.remote()
    token = await form_token(client)
    before = len(await stack.pending())
    async with client.post("/join", data=join_form(csrf_token=token, website="http://spam"),
                           allow_redirects=False) as resp:
        assert resp.status == 303
    async with client.post("/join", json=join_form(website="x")) as resp:
        assert resp.status == 400
    assert len(await stack.pending()) == before


async def test_bad_input_gets_a_clear_error_and_stores_nothing(stack: Stack) -> None:
    client = stack.web.remote()
    token = await form_token(client)
    before = len(await stack.pending())
    async with client.post("/join", data=join_form(csrf_token=token, email="nope",
                                                   link="javascript:alert(1)")) as resp:
        assert resp.status == 400
        text = await resp.text()
    assert "Please correct these fields" in text and "Email:" in text and "Link:" in text
    assert 'value="javascript:alert(1)"' in text  # kept for correcting, escaped as a value
    async with client.post("/join", json=join_form(name="")) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["error"]["code"] == "invalid_request"
    assert [d["field"] for d in body["error"]["details"]] == ["name"]
    async with client.post("/join", json={"name": "x"}) as resp:
        assert resp.status == 400
    async with client.post("/join", data=b"not json", headers={"Content-Type": "text/plain"}
                           ) as resp:
        assert resp.status == 415
    async with client.post("/join", json=join_form(extra="field")) as resp:
        assert resp.status == 400
    assert len(await stack.pending()) == before


async def test_join_requests_are_limited_per_address(tmp_path_factory: pytest.TempPathFactory,
                                                     remote_host: str) -> None:
    async with admin_stack(tmp_path_factory.mktemp("joinlimit"), remote_host,
                           join_limit=2) as own:
        client = own.web.remote()
        for _ in range(2):
            async with client.post("/join", json=join_form()) as resp:
                assert resp.status == 200
        async with client.post("/join", json=join_form()) as resp:
            assert resp.status == 429
        token = await form_token(client)
        async with client.post("/join", data=join_form(csrf_token=token)) as resp:
            assert resp.status == 429 and "wait an hour" in await resp.text()
        local = own.web.local()  # another address still may
        async with local.post("/join", json=join_form()) as resp:
            assert resp.status == 200
        assert len(await own.pending()) == 3


async def test_stored_text_is_shown_escaped_to_the_admin(stack: Stack) -> None:
    script = "<script>alert('x')</script>"
    async with stack.web.remote().post("/join", json=join_form(notes=script)) as resp:
        assert resp.status == 200
    admin = await session_of(stack.web, stack.admin)
    async with admin.get("/admin/joins") as resp:
        text = await resp.text()
    assert script not in text and "&lt;script&gt;" in text
    assert csrf_of(admin)


async def test_the_join_form_speaks_german(stack: Stack) -> None:
    client = stack.web.remote(headers={"Accept-Language": "de-DE,de;q=0.9"})
    async with client.get("/join") as resp:
        text = await resp.text()
    assert "Dem Netzwerk beitreten" in text and "Anfrage senden" in text
    token = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert token
    async with client.post("/join", data=join_form(csrf_token=token.group(1), email="x")
                           ) as resp:
        text = await resp.text()
    assert resp.status == 400 and "Bitte korrigiere diese Felder" in text and "E-Mail:" in text
