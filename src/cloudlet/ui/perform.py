"""Running a ``Call`` the way the API would: the same services, the same parameters.

``perform`` is the one place where a Media Explorer action reaches the services. Every call
that changes assets names the UI as its actor (``services.events.Actor.UI``): webhooks say
``source: "ui"``, and deletes, renames and overwrites always invalidate the CDN, as the seed
says of the Media Library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudlet.catalog.model import Cloud
from cloudlet.services import backups, manage, named, presets, related, resources
from cloudlet.services import upload as upload_service
from cloudlet.services.auth import UploadAuth
from cloudlet.services.deps import Deps
from cloudlet.services.events import Actor
from cloudlet.services.staging import UploadSource
from cloudlet.ui.calls import Args, Call

Executor = Callable[[Deps, Cloud, Args, UploadSource | None], Any]
_ADDRESS = ("resource_type", "type", "public_id")
UI = Actor.UI


def _rt(args: Args) -> str:
    return str(args.get("resource_type") or "image")


def _type(args: Args) -> str:
    return str(args.get("type") or "upload")


def _rest(args: Args, *names: str) -> Args:
    return {k: v for k, v in args.items() if k not in names}


def _upload(deps: Deps, cloud: Cloud, args: Args, source: UploadSource | None) -> Any:
    assert source is not None, "an upload needs its file"
    params = _rest(args, "file", "resource_type")
    auth = UploadAuth(signed=True, preset=None)  # a signed-in console user acts as the owner
    return upload_service.upload(deps, cloud, _rt(args), params, source, auth, actor=UI)


def _tags(command: str) -> Executor:
    def run(deps: Deps, cloud: Cloud, args: Args, _source: UploadSource | None) -> Any:
        params = {**_rest(args, "resource_type"), "command": command}
        return manage.tags(deps, cloud, _rt(args), params, actor=UI)

    return run


def _update(deps: Deps, cloud: Cloud, args: Args, _source: UploadSource | None) -> Any:
    return resources.update_resource(
        deps, cloud, _rt(args), _type(args), args["public_id"], _rest(args, *_ADDRESS), actor=UI
    )


def _relations(relate: bool) -> Executor:
    def run(deps: Deps, cloud: Cloud, args: Args, _source: UploadSource | None) -> Any:
        target = resources.find_asset(deps, cloud, _rt(args), _type(args), args["public_id"])
        return related.change_relations(deps, cloud, target, args, relate=relate, actor=UI)

    return run


def _delete_by_tag(deps: Deps, cloud: Cloud, args: Args, _source: UploadSource | None) -> Any:
    params = _rest(args, "resource_type", "tag")
    return manage.delete_resources(deps, cloud, _rt(args), None, params, tag=args["tag"], actor=UI)


EXECUTORS: dict[str, Executor] = {
    "upload": _upload,
    "rename": lambda d, c, a, _s: manage.rename(d, c, _rt(a), _rest(a, "resource_type"), actor=UI),
    "destroy": lambda d, c, a, _s: manage.destroy(
        d, c, _rt(a), _rest(a, "resource_type"), actor=UI
    ),
    "add_tag": _tags("add"),
    "remove_tag": _tags("remove"),
    "update": _update,
    "delete_resources": lambda d, c, a, _s: manage.delete_resources(
        d, c, _rt(a), _type(a), _rest(a, "resource_type", "type"), actor=UI
    ),
    "delete_resources_by_prefix": lambda d, c, a, _s: manage.delete_resources(
        d, c, _rt(a), _type(a), _rest(a, "resource_type", "type"), actor=UI
    ),
    "delete_resources_by_tag": _delete_by_tag,
    "restore": lambda d, c, a, _s: backups.restore(
        d, c, _rt(a), _type(a), _rest(a, "resource_type", "type")
    ),
    "add_related_assets": _relations(True),
    "delete_related_assets": _relations(False),
    "create_upload_preset": lambda d, c, a, _s: presets.create_preset(d, c, a),
    "delete_upload_preset": lambda d, c, a, _s: presets.delete_preset(d, c, a["name"]),
    "create_transformation": lambda d, c, a, _s: named.create(
        d, c, {**_rest(a, "definition"), "transformation": a["definition"]}
    ),
    "delete_transformation": lambda d, c, a, _s: named.delete(d, c, a),
}


def perform(deps: Deps, cloud: Cloud, call: Call, source: UploadSource | None = None) -> Any:
    """Run the call through the services; its API answer."""
    return EXECUTORS[call.operation](deps, cloud, dict(call.args), source)
