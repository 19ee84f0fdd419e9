"""/openapi.json: a valid OpenAPI 3 document that matches the app's route table both ways.

- every documented operation, with its example path values, is routed by the app to an API
  route that accepts its method (no phantom operations), and answers there with one of its
  documented statuses, never "not supported" (except the documented catch-all);
- every API route and method of the app is reached by at least one documented operation
  (every route documented).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from starlette.routing import BaseRoute, Match, Route
from starlette.testclient import TestClient

from cloudlet.app import app_routes, create_app
from cloudlet.services import clouds
from cloudlet.settings import Settings
from cloudlet.web.api_doc import OPERATIONS, Operation
from cloudlet.web.api_params import PARAMS, PATH_PARAMS
from cloudlet.web.openapi import document

ROUTES = app_routes()
API_PREFIX = "/v1_1/"
OPERATIONAL = {"/metrics", "/healthz", "/readyz", "/openapi.json"}
CATCH_ALL = "/v1_1/{cloud}/{resource_type}/{action}"
KEY, SECRET = "123456789012345", "abcdeFGHijkLMNop"


def example_path(op: Operation) -> str:
    """The operation's path with each parameter's example value."""

    def value(match: re.Match[str]) -> str:
        key = (op.path_params or {}).get(match.group(1), match.group(1))
        return PATH_PARAMS[key].example

    return re.sub(r"{(\w+)}", value, op.path)


def handler(method: str, path: str) -> BaseRoute | None:
    """The route Starlette's router picks for ``method path`` (the first full match)."""
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    for route in ROUTES:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route
    return None


def api_routes() -> list[Route]:
    return [
        r
        for r in ROUTES
        if isinstance(r, Route) and (r.path.startswith(API_PREFIX) or r.path in OPERATIONAL)
    ]


def test_the_document_is_valid_openapi_3() -> None:
    spec = document()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    ids = [op.operation_id for op in OPERATIONS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_every_operation_reaches_an_api_route(op: Operation) -> None:
    route = handler(op.method, example_path(op))
    assert route is not None, f"{op.method} {op.path}: no route takes it"
    assert isinstance(route, Route)
    assert route.path.startswith(API_PREFIX) or route.path in OPERATIONAL, route.path
    if op.path == CATCH_ALL:
        assert route.path == CATCH_ALL
    else:
        assert route.path != CATCH_ALL, f"{op.method} {op.path} falls into the catch-all"


def test_every_api_route_and_method_is_documented() -> None:
    reached = set()
    for op in OPERATIONS:
        route = handler(op.method, example_path(op))
        assert isinstance(route, Route)
        reached.add((route.path, op.method))
    missing = [
        f"{method} {route.path}"
        for route in api_routes()
        for method in sorted(route.methods or ())
        if method != "HEAD" and (route.path, method) not in reached
    ]
    assert not missing, "routes no operation in web/api_doc.py describes:\n" + "\n".join(missing)


def test_every_described_parameter_is_used() -> None:
    used = {key for op in OPERATIONS for key in op.params}
    assert sorted(set(PARAMS) - used) == []
    used_path = {
        (op.path_params or {}).get(name, name)
        for op in OPERATIONS
        for name in re.findall(r"{(\w+)}", op.path)
    }
    assert sorted(set(PATH_PARAMS) - used_path) == []


# ----------------------------------------------------------- against the live app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("openapi")
    app = create_app(Settings(data_dir=data_dir))
    clouds.create_cloud(app.state.deps, "demo", KEY, SECRET)
    with TestClient(app) as test_client:
        yield test_client


def test_the_app_serves_the_document(client: TestClient) -> None:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.json() == document()


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_every_operation_is_served(client: TestClient, op: Operation) -> None:
    """Called with no parameters: a documented status, and "not supported" only from the
    catch-all (a 400 for a missing parameter or a 404 for a missing asset is fine)."""
    auth = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    answer = client.request(op.method, example_path(op), headers={"Authorization": auth})
    documented = document()["paths"][op.path][op.method.lower()]["responses"]
    assert str(answer.status_code) in documented, (answer.status_code, answer.text[:300])
    if answer.headers["content-type"].startswith("application/json"):
        message = str(answer.json().get("error", {}).get("message", ""))
        unsupported = "not supported" in message or message.startswith("Unsupported request")
        assert unsupported == (op.path == CATCH_ALL), message
