"""Property-based requests from the live ``/openapi.json`` (schemathesis): no 5xx, and every
answer matches the response schema the document declares.

Admin API routes are called with the cloud's basic-auth credentials, so the generated
parameters reach the services; Upload API routes get generated (unsigned) fields and are
mostly refused with 4xx, which must still be in the documented shape. The example count per
operation is bounded for CI (``CLOUDLET_SCHEMATHESIS_EXAMPLES``, default 8).
"""

from __future__ import annotations

import os
import traceback

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from tests.compat.server import API_KEY, API_SECRET, CLOUD, Server

EXAMPLES = int(os.environ.get("CLOUDLET_SCHEMATHESIS_EXAMPLES", "8"))


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _operations(server: Server, document: dict | None = None) -> list[object]:
    document = document or httpx.get(f"{server.base_url}/openapi.json").json()
    loaded = schemathesis.openapi.from_dict(document)
    return [result.ok() for result in loaded.get_all_operations()]


def _exercise(operation: object, server: Server) -> None:
    """EXAMPLES generated requests to one operation, each answer checked."""

    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    @SETTINGS
    def run(case: schemathesis.Case) -> None:
        if "cloud" in (case.path_parameters or {}):
            case.path_parameters["cloud"] = CLOUD
        response = case.call(base_url=server.base_url, auth=(API_KEY, API_SECRET), timeout=30)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    run()


def test_generated_requests(hostile_server: Server) -> None:
    operations = _operations(hostile_server)
    assert len(operations) > 20  # the Upload and Admin API routes are all in the document
    failures = []
    for operation in operations:
        try:
            _exercise(operation, hostile_server)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - gather them all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")  # type: ignore[attr-defined]
    assert failures == [], "\n\n".join(failures)


def test_the_check_can_fail(hostile_server: Server) -> None:
    """A document whose ping answer must have a field the server does not send fails."""
    document = httpx.get(f"{hostile_server.base_url}/openapi.json").json()
    path = next(p for p in document["paths"] if p.endswith("/ping"))
    ok = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    ok["schema"] = {"type": "object", "required": ["nope"]}
    (ping,) = [op for op in _operations(hostile_server, document) if op.path == path]  # type: ignore[attr-defined]
    with pytest.raises(BaseException) as caught:  # schemathesis raises an exception group
        _exercise(ping, hostile_server)
    assert "nope" in "".join(traceback.format_exception(caught.value))
