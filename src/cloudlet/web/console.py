"""The Media Explorer's pages under ``/console``: sign-in, browse and search, one asset,
settings. Pages are rendered on the server (``ui/templates``); small ES modules
(``ui/static``) add selection, uploads, in-place edits and Inspect mode through
``web.console_actions``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cloudlet.catalog.console import ConsoleSession
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AuthenticationError, CloudletError, NotFoundError
from cloudlet.services import console_auth, console_browse, console_search, named, presets
from cloudlet.services.deps import Deps
from cloudlet.ui.calls import Call
from cloudlet.ui.render import STATIC, render
from cloudlet.web import console_actions
from cloudlet.web.console_forms import FIELDS, criteria_from
from cloudlet.web.console_session import (
    SESSION_COOKIE,
    check_login_form,
    clear_session_cookie,
    cloud_path,
    current,
    current_for_change,
    login_token,
    secured,
    set_login_cookie,
    set_session_cookie,
)
from cloudlet.web.console_throttle import SharedLoginThrottle
from cloudlet.web.context import deps_of, in_thread

Page = Callable[[Request, Cloud, ConsoleSession], Awaitable[Response]]
SEARCH_PAGE = 60


def _html(body: str, status: int = 200) -> Response:
    return secured(HTMLResponse(body, status_code=status))


def _error_page(exc: CloudletError) -> Response:
    return _html(render("error.html", message=exc.message, status=exc.status), exc.status)


# ------------------------------------------------------------------ sign-in
def _login_form(
    request: Request, cloud_name: str, message: str = "", status: int = 200
) -> Response:
    token = login_token(request)
    body = render(
        "login.html",
        cloud_name=cloud_name,
        csrf_token=token,
        message=message,
        next=request.query_params.get("next", ""),
    )
    response = _html(body, status)
    set_login_cookie(response, request, token)
    return response


async def landing(request: Request) -> Response:
    """``GET /console``: the sign-in form, asking for the cloud too."""
    return _login_form(request, "")


async def login_page(request: Request) -> Response:
    """``GET /console/{cloud}/login``."""
    return _login_form(request, request.path_params["cloud"])


async def login(request: Request) -> Response:
    """``POST /console/{cloud}/login`` (or ``/console/-/login`` from the form that asks for the
    cloud): check the credentials, start a brand-new session. The cloud's own path is where
    the browser sends the session it had, which then ends."""
    names = ("cloud", "username", "password", "csrf_token", "next")
    async with request.form(max_fields=10, max_files=0) as form:
        fields = {k: str(form.get(k) or "") for k in names}
    cloud_name = request.path_params.get("cloud") or fields["cloud"].strip()
    throttle: SharedLoginThrottle = request.app.state.console_logins
    keys = (f"user:{cloud_name}/{fields['username']}", f"client:{_client(request)}")
    try:
        check_login_form(request, fields["csrf_token"])
        await in_thread(throttle.check, *keys)
        previous = request.cookies.get(SESSION_COOKIE)
        deps = deps_of(request)
        cloud, signed = await in_thread(
            console_auth.sign_in, deps, cloud_name, fields["username"], fields["password"],
            replaces=previous,
        )  # fmt: skip
    except AuthenticationError as exc:
        await in_thread(throttle.failed, *keys)
        return _login_form(request, cloud_name, exc.message, exc.status)
    except CloudletError as exc:
        return _login_form(request, cloud_name, exc.message, exc.status)
    response = RedirectResponse(_next_url(cloud, fields["next"]), status_code=303)
    set_session_cookie(response, request, cloud, signed.token)
    return secured(response)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _next_url(cloud: Cloud, wanted: str) -> str:
    """Where to go after sign-in: a page of this cloud's console, else its home."""
    home = cloud_path(cloud.name) + "/"
    if wanted.startswith(home) and "//" not in wanted and "\\" not in wanted:
        return wanted
    return home


async def logout(request: Request) -> Response:
    """``POST /console/{cloud}/logout``: end the session."""
    cloud_name = request.path_params["cloud"]
    async with request.form(max_fields=5, max_files=0) as form:
        token = str(form.get("csrf_token") or "")
    try:
        await current_for_change(request, token)
    except CloudletError:
        pass  # signing out without a valid session still clears the cookie
    else:
        await in_thread(
            console_auth.sign_out, deps_of(request), request.cookies.get(SESSION_COOKIE)
        )
    response = RedirectResponse(f"{cloud_path(cloud_name)}/login", status_code=303)
    clear_session_cookie(response, request, cloud_name)
    return secured(response)


def page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A console page: signed in to the path's cloud, else sent to its sign-in form."""

    async def endpoint(request: Request) -> Response:
        try:
            cloud, session = await current(request)
        except (NotFoundError, AuthenticationError):
            cloud_name = quote(request.path_params["cloud"], safe="")
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target = f"/console/{cloud_name}/login?" + urlencode({"next": wanted})
            return RedirectResponse(target, status_code=303)
        try:
            return await handler(request, cloud, session)
        except CloudletError as exc:
            return _error_page(exc)

    return endpoint


def _frame(
    request: Request, cloud: Cloud, session: ConsoleSession, **context: Any
) -> dict[str, Any]:
    """What every page's frame (header, Inspect pane) needs."""
    return {
        "cloud": cloud,
        "user": session.username,
        "csrf_token": session.csrf_token,
        "base": cloud_path(cloud.name),
        "inspect_pane": console_actions.inspect_html(request, session.inspect, cloud),
        "inspect_on": bool(session.inspect.get("on")),
        **context,
    }


# ------------------------------------------------------------------ browse and search
def _searching(request: Request) -> bool:
    return any(request.query_params.get(name) for name in FIELDS)


async def browse(request: Request, cloud: Cloud, session: ConsoleSession) -> Response:
    """``GET /console/{cloud}/``: a folder's assets, or search results."""
    deps = deps_of(request)
    view = "list" if request.query_params.get("view") == "list" else "grid"
    if _searching(request):
        context = await in_thread(_search_context, deps, cloud, session, request)
    else:
        context = await in_thread(_folder_context, deps, cloud, request)
    session = await in_thread(_fresh_session, deps, session)
    body = render("browse.html", view=view, **_frame(request, cloud, session, **context))
    return _html(body)


def _fresh_session(deps: Deps, session: ConsoleSession) -> ConsoleSession:
    return deps.catalog.get_console_session(session.token_hash, deps.now()) or session


def _folder_context(deps: Deps, cloud: Cloud, request: Request) -> dict[str, Any]:
    folder = console_browse.checked_folder(request.query_params.get("folder", ""))
    cards, cursor = console_browse.folder_page(deps, cloud, folder)
    return {
        "mode": "folder",
        "folder": folder,
        "crumbs": console_browse.breadcrumbs(folder),
        "subfolders": console_browse.subfolders(deps, cloud, folder),
        "roots": console_browse.subfolders(deps, cloud, ""),
        "cards": cards,
        "more": _more_url(cloud, {"folder": folder}, cursor),
        "criteria": criteria_from({}),
        "total": None,
        "expression": "",
        "query": {},
    }


def _search_context(
    deps: Deps, cloud: Cloud, session: ConsoleSession, request: Request
) -> dict[str, Any]:
    criteria = criteria_from(request.query_params)
    cursor = request.query_params.get("cursor", "")
    answer = console_search.search(deps, cloud, criteria, max_results=SEARCH_PAGE, cursor=cursor)
    expression = console_search.expression_for(criteria)
    if not cursor:
        args = {"expression": expression, "sort_by": [{"created_at": "desc"}]}
        console_actions.record(
            deps, session, [Call("search", {**args, "max_results": SEARCH_PAGE})]
        )
    ids = [item["asset_id"] for item in answer["resources"]]
    found = {a.asset_id: a for a in deps.catalog.get_assets_by_asset_ids(cloud.id, ids)}
    cards = [console_browse.card(cloud, found[i]) for i in ids if i in found]
    query = {k: v for k, v in request.query_params.multi_items() if k in FIELDS and v}
    return {
        "mode": "search",
        "folder": "",
        "crumbs": [],
        "subfolders": [],
        "roots": console_browse.subfolders(deps, cloud, ""),
        "cards": cards,
        "more": _more_url(cloud, query, answer.get("next_cursor")),
        "criteria": criteria,
        "total": answer["total_count"],
        "expression": expression,
        "query": query,
    }


def _more_url(cloud: Cloud, query: dict[str, Any], cursor: str | None) -> str | None:
    if not cursor:
        return None
    pairs = [*query.items(), ("cursor", cursor)]
    return f"{cloud_path(cloud.name)}/more?" + urlencode(pairs)


async def more(request: Request, cloud: Cloud, session: ConsoleSession) -> Response:
    """``GET /console/{cloud}/more``: the next page of cards (infinite scroll)."""
    deps = deps_of(request)
    view = "list" if request.query_params.get("view") == "list" else "grid"
    if _searching(request):
        context = await in_thread(_search_context, deps, cloud, session, request)
    else:
        folder = console_browse.checked_folder(request.query_params.get("folder", ""))
        cursor = request.query_params.get("cursor") or None
        cards, next_cursor = await in_thread(
            console_browse.folder_page, deps, cloud, folder, cursor
        )
        context = {"cards": cards, "more": _more_url(cloud, {"folder": folder}, next_cursor)}
    body = render("_cards.html", view=view, base=cloud_path(cloud.name), **context)
    return _html(body)


# ------------------------------------------------------------------ one asset, settings
async def asset_page(request: Request, cloud: Cloud, session: ConsoleSession) -> Response:
    """``GET /console/{cloud}/asset/{asset_id}``: everything about one asset."""
    deps = deps_of(request)

    def load() -> dict[str, Any]:
        asset = console_browse.asset_by_id(deps, cloud, request.path_params["asset_id"])
        return {
            "asset": asset,
            "card": console_browse.card(cloud, asset),
            "details": console_browse.asset_details(deps, cloud, asset),
            "folder": asset.public_id.rpartition("/")[0],
        }

    context = await in_thread(load)
    return _html(render("asset.html", **_frame(request, cloud, session, **context)))


async def settings_page(request: Request, cloud: Cloud, session: ConsoleSession) -> Response:
    """``GET /console/{cloud}/settings``."""
    deps = deps_of(request)

    def load() -> dict[str, Any]:
        fresh = deps.catalog.get_cloud(cloud.name) or cloud
        return {
            "settings": console_browse.settings_view(fresh),
            "presets": presets.list_presets(deps, fresh, {"max_results": 500})["presets"],
            "named": named.listing(deps, fresh, {"max_results": 500})["transformations"],
            "api_key": fresh.api_key,
        }

    context = await in_thread(load)
    return _html(render("settings.html", **_frame(request, cloud, session, **context)))


async def cloud_home(request: Request) -> Response:
    """``/console/{cloud}`` → ``/console/{cloud}/``."""
    return RedirectResponse(cloud_path(quote(request.path_params["cloud"], safe="")) + "/", 307)


routes = [
    Mount("/console/-/static", app=StaticFiles(directory=str(STATIC)), name="console_static"),
    Route("/console", landing, methods=["GET"]),
    Route("/console/", landing, methods=["GET"]),
    Route("/console/-/login", login, methods=["POST"]),
    Route("/console/{cloud}/login", login_page, methods=["GET"]),
    Route("/console/{cloud}/login", login, methods=["POST"]),
    Route("/console/{cloud}/logout", logout, methods=["POST"]),
    Route("/console/{cloud}", cloud_home, methods=["GET"]),
    Route("/console/{cloud}/", page(browse), methods=["GET"]),
    Route("/console/{cloud}/more", page(more), methods=["GET"]),
    Route("/console/{cloud}/asset/{asset_id}", page(asset_page), methods=["GET"]),
    Route("/console/{cloud}/settings", page(settings_page), methods=["GET"]),
    *console_actions.routes,
]
