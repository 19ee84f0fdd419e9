"""The Media Explorer's sign-in and sessions over HTTP (in process): cookies, CSRF, session
fixation, one cloud's session never reaching another cloud, headers and escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cloudlet.app import build_deps, create_app
from cloudlet.catalog.catalog import Catalog
from cloudlet.services import clouds, console_auth
from cloudlet.services.deps import Deps
from cloudlet.settings import Settings

PASSWORD = "a long enough password"


@pytest.fixture()
def deps(tmp_path: Path) -> Iterator[Deps]:
    found = build_deps(Settings(data_dir=tmp_path / "data"))
    for name, user in (("acme", "alice"), ("other", "bob")):
        cloud = clouds.create_cloud(found, name)
        console_auth.create_user(found, cloud, user, PASSWORD)
    yield found
    found.catalog.close()


@pytest.fixture()
def client(deps: Deps) -> Iterator[TestClient]:
    with TestClient(create_app(deps.settings, deps), follow_redirects=False) as test_client:
        yield test_client


def _login_form(client: TestClient, path: str = "/console/acme/login") -> str:
    page = client.get(path)
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def sign_in(client: TestClient, cloud: str = "acme", user: str = "alice") -> str:
    """Sign in; the CSRF token of the new session (read from a page)."""
    token = _login_form(client, f"/console/{cloud}/login")
    form = {"cloud": cloud, "username": user, "password": PASSWORD, "csrf_token": token}
    answer = client.post(f"/console/{cloud}/login", data=form)
    assert answer.status_code == 303, answer.text
    home = client.get(f"/console/{cloud}/")
    assert home.status_code == 200
    found = re.search(r'data-csrf="([^"]+)"', home.text)
    assert found
    return found.group(1)


def _session_cookie(answer: object) -> str:
    headers = answer.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return next(h for h in headers if h.startswith("cloudlet_session="))


def test_session_cookie_is_http_only_strict_and_scoped_to_the_cloud(client: TestClient) -> None:
    token = _login_form(client)
    form = {"cloud": "acme", "username": "alice", "password": PASSWORD, "csrf_token": token}
    answer = client.post("/console/-/login", data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/acme/"
    cookie = _session_cookie(answer).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console/acme" in cookie
    assert "secure" not in cookie  # plain HTTP: a Secure cookie would never come back


def test_session_cookie_is_secure_over_https(deps: Deps) -> None:
    app = create_app(deps.settings, deps)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        token = _login_form(client)
        form = {"cloud": "acme", "username": "alice", "password": PASSWORD, "csrf_token": token}
        answer = client.post("/console/-/login", data=form)
        assert "; secure" in _session_cookie(answer).lower()


@pytest.mark.parametrize(
    ("cloud", "user", "password"),
    [("acme", "alice", "wrong password"), ("acme", "nobody", PASSWORD), ("nope", "alice", PASSWORD),
     ("other", "alice", PASSWORD)],
)  # fmt: skip
def test_wrong_credentials_get_one_message_and_no_session(
    client: TestClient, cloud: str, user: str, password: str
) -> None:
    token = _login_form(client)
    form = {"cloud": cloud, "username": user, "password": password, "csrf_token": token}
    answer = client.post("/console/-/login", data=form)
    assert answer.status_code == 401
    assert "Wrong cloud, username or password" in answer.text
    assert not any(h.startswith("cloudlet_session=") for h in answer.headers.get_list("set-cookie"))


def test_sign_in_form_needs_its_token(client: TestClient) -> None:
    _login_form(client)
    form = {"cloud": "acme", "username": "alice", "password": PASSWORD, "csrf_token": "forged"}
    answer = client.post("/console/-/login", data=form)
    assert answer.status_code == 401
    assert "expired" in answer.text
    client.cookies.clear()  # a cross-site form has no login cookie at all
    form["csrf_token"] = "anything"
    assert client.post("/console/-/login", data=form).status_code == 401


def test_session_fixation_a_planted_token_is_never_promoted(client: TestClient) -> None:
    client.cookies.set("cloudlet_session", "planted-by-an-attacker", path="/console/acme")
    sign_in(client)
    jar = {c.name: c.value for c in client.cookies.jar if c.name == "cloudlet_session"}
    assert jar["cloudlet_session"] != "planted-by-an-attacker"
    attacker = TestClient(client.app, follow_redirects=False)
    attacker.cookies.set("cloudlet_session", "planted-by-an-attacker", path="/console/acme")
    assert attacker.get("/console/acme/").status_code == 303  # still not signed in


def test_signing_in_again_ends_the_previous_session(client: TestClient) -> None:
    sign_in(client)
    first = next(c.value for c in client.cookies.jar if c.name == "cloudlet_session")
    sign_in(client)
    old = TestClient(client.app, follow_redirects=False)
    old.cookies.set("cloudlet_session", first, path="/console/acme")
    assert old.get("/console/acme/").status_code == 303


def test_pages_need_a_session_of_that_very_cloud(client: TestClient) -> None:
    assert client.get("/console/acme/").status_code == 303
    csrf = sign_in(client, "acme", "alice")
    token = next(c.value for c in client.cookies.jar if c.name == "cloudlet_session")
    other = TestClient(client.app, follow_redirects=False)
    other.cookies.set("cloudlet_session", token, path="/console/other")  # replayed elsewhere
    for path in ("/console/other/", "/console/other/settings", "/console/other/more"):
        answer = other.get(path)
        assert answer.status_code == 303 and "/console/other/login" in answer.headers["location"]
    headers = {"X-CSRF-Token": csrf}
    answer = other.post(
        "/console/other/api/setting", json={"key": "backup", "value": True}, headers=headers
    )
    assert answer.status_code == 404
    assert answer.json() == {"error": {"message": "Not signed in to this cloud"}}
    assert other.app.state.deps.catalog.get_cloud("other").settings == {}


def test_state_changes_need_the_csrf_token_and_our_origin(client: TestClient) -> None:
    csrf = sign_in(client)
    body = {"key": "backup", "value": True}
    assert client.post("/console/acme/api/setting", json=body).status_code == 401
    wrong = client.post(
        "/console/acme/api/setting", json=body, headers={"X-CSRF-Token": "x" + csrf}
    )
    assert wrong.status_code == 401
    assert "CSRF" in wrong.json()["error"]["message"]
    foreign = {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    assert client.post("/console/acme/api/setting", json=body, headers=foreign).status_code == 401
    settings = client.app.state.deps.catalog.get_cloud("acme").settings
    assert "backup" not in settings  # nothing changed
    ok = client.post("/console/acme/api/setting", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.text
    assert client.app.state.deps.catalog.get_cloud("acme").settings["backup"] is True


def test_sign_out_ends_the_session_on_the_server(client: TestClient) -> None:
    csrf = sign_in(client)
    token = next(c.value for c in client.cookies.jar if c.name == "cloudlet_session")
    answer = client.post("/console/acme/logout", data={"csrf_token": csrf})
    assert answer.status_code == 303
    replay = TestClient(client.app, follow_redirects=False)
    replay.cookies.set("cloudlet_session", token, path="/console/acme")
    assert replay.get("/console/acme/").status_code == 303


def test_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/console/acme/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


def test_bad_input_is_a_clear_error_and_changes_nothing(client: TestClient) -> None:
    csrf = sign_in(client)
    headers = {"X-CSRF-Token": csrf}
    cases = [
        ("nonsense", {}, 404, "Unknown action 'nonsense'"),
        ("tag", {"asset_ids": [], "tag": "x", "command": "add"}, 400, "Select at least one asset"),
        (
            "tag",
            {"asset_ids": ["a"], "tag": "x", "command": "zap"},
            400,
            "command must be add or remove",
        ),
        ("setting", {"key": "backup", "value": "maybe"}, 400, "Invalid value for backup"),
        ("setting", {"key": "notification_url", "value": "ftp://x"}, 400, "notification_url must"),
        ("bulk_delete", {}, 400, "Choose at least one criterion"),
    ]
    for action, body, status, message in cases:
        answer = client.post(f"/console/acme/api/{action}", json=body, headers=headers)
        assert answer.status_code == status, (action, answer.text)
        assert message in answer.json()["error"]["message"]
    raw = client.post("/console/acme/api/tag", content=b"not json", headers=headers)
    assert raw.json() == {"error": {"message": "The request body must be JSON"}}


def test_the_cloud_name_console_is_reserved(deps: Deps) -> None:
    with pytest.raises(Exception, match="reserved"):
        clouds.create_cloud(deps, "console")


def test_password_guessing_is_slowed_down(client: TestClient) -> None:
    token = _login_form(client)
    form = {"cloud": "acme", "username": "alice", "password": "guess", "csrf_token": token}
    for _ in range(5):
        assert client.post("/console/acme/login", data=form).status_code == 401
    form["password"] = PASSWORD  # even the right password waits now
    refused = client.post("/console/acme/login", data=form)
    assert refused.status_code == 420
    assert "Too many failed sign-ins" in refused.text
    assert not any(
        h.startswith("cloudlet_session=") for h in refused.headers.get_list("set-cookie")
    )


def test_the_throttle_forgets_failures_after_its_window() -> None:
    from cloudlet.errors import RateLimitedError
    from cloudlet.web.console_throttle import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(limit=2, window_s=60, clock=lambda: now[0])
    throttle.failed("user:a", "client:1")
    throttle.check("user:a")
    throttle.failed("user:a", "client:1")
    with pytest.raises(RateLimitedError):
        throttle.check("user:b", "client:1")  # the same address, another user
    throttle.check("user:b", "client:2")
    now[0] += 61
    throttle.check("user:a", "client:1")


def test_the_shared_throttle_counts_failures_of_every_node(catalog: Catalog) -> None:
    """Two servers on one catalog (two nodes) share the count; it forgets after its window."""
    from datetime import UTC, datetime, timedelta

    from cloudlet.errors import RateLimitedError
    from cloudlet.web.console_throttle import SharedLoginThrottle

    now = [datetime(2026, 1, 2, tzinfo=UTC)]
    one, two = (
        SharedLoginThrottle(catalog, limit=2, window_s=60, clock=lambda: now[0]) for _ in range(2)
    )
    one.failed("user:a", "client:1")
    two.check("user:a")
    two.failed("user:a", "client:1")  # the second failure, on the other node
    with pytest.raises(RateLimitedError, match="Too many failed sign-ins"):
        one.check("user:b", "client:1")
    one.check("user:b", "client:2")
    now[0] += timedelta(seconds=61)
    two.check("user:a", "client:1")
