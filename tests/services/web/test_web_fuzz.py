"""Schema fuzzing: every operation of ``/api/openapi.json`` against the real stack.

``zenith dev`` runs (every service, on the simulator, as a user starts it),
and schemathesis generates requests from the OpenAPI document: a bounded
number of examples per operation (not a time budget), sent as a remote
client (from this machine's non-loopback address, see ``netpeer``) with an
admin's bearer token. Passing means no answer is a 5xx and every answer
conforms to the document: its status is documented for the operation, and
its content type, headers and JSON body match what is documented.

Fuzzing must never need a state the stack cannot recover from; failures
are collected over all operations and reported together.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.devstack import DevStack

pytestmark = pytest.mark.slow

EXAMPLES = 6  # per operation, valid and invalid input: about a minute on two cores
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Findings not fixed yet, each with its reason: reported (a warning), not failed on.
KNOWN: dict[str, str] = {}  # findings not fixed yet: operation -> why (none today)
FAST_STACK = {
    "ZENITH_CAPTURE_SIM_SPEED": "600",  # exposures of a simulated night take milliseconds
    "ZENITH_CAPTURE_WIDTH": "320", "ZENITH_CAPTURE_HEIGHT": "240",
    "ZENITH_GPIO_AUTOFOCUS_SETTLE_S": "0",
}


class FromAddress(HTTPAdapter):
    """Connections leave from ``address``: the server sees a remote peer."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str) -> Any:
    dev = DevStack(tmp_path_factory.mktemp("fuzz") / "var",
                   ZENITH_HTTP_HOST=f"127.0.0.1,{remote_host}", **FAST_STACK).start()
    try:
        dev.wait_healthy(timeout=180)
        yield dev
    finally:
        dev.stop()


def test_every_operation_conforms_and_never_fails(stack: DevStack, remote_host: str) -> None:
    line = stack.wait_for_line("First start: created user 'admin' with password")
    password = re.search(r"password (\S+)", line).group(1)  # type: ignore[union-attr]
    base = f"http://{remote_host}:{stack.http_port}"
    session = requests.Session()
    session.mount("http://", FromAddress(remote_host))
    answer = session.post(base + "/login", json={"username": "admin", "password": password},
                          timeout=30)
    assert answer.status_code == 200, answer.text
    auth = {"Authorization": f"Bearer {answer.json()['access_token']}"}  # updated in place
    anonymous = session.get(base + "/gpio/status", timeout=30)
    assert anonymous.status_code == 401  # the client is remote: nothing without the token

    schema = schemathesis.openapi.from_dict(session.get(base + "/api/openapi.json",
                                                        timeout=30).json())
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        cases = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                          operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

        @given(case=cases)
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            try:
                case.call_and_validate(base_url=base, session=session, headers=dict(auth),
                                       checks=CHECKS, timeout=60)
            except (Exception, BaseExceptionGroup) as exc:  # collected, reported at the end
                key = f"{case.method} {case.path}"
                failures.setdefault(key, f"{type(exc).__name__}: {exc}"[:3000])

        fuzz()
        # an admin's logout or a removed admin would end the token: log in again if so
        if session.get(base + "/gpio/status", headers=auth, timeout=30).status_code == 401:
            answer = session.post(base + "/login", json={"username": "admin",
                                                         "password": password}, timeout=30)
            assert answer.status_code == 200, f"admin cannot log in after {operation.label}"
            auth["Authorization"] = f"Bearer {answer.json()['access_token']}"
    assert operations > 20
    for key in sorted(set(failures) & set(KNOWN)):
        warnings.warn(f"known fuzzing finding {key} ({KNOWN[key]}): {failures.pop(key)[:500]}",
                      stacklevel=1)
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in sorted(failures.items()))
