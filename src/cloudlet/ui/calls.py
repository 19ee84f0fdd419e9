"""One description of every call the Media Explorer makes, from which Inspect mode writes the
same call for each SDK (``snippets``) and the console executes it (``web.console_actions``).

A ``Call`` is an operation name and its arguments, named as the Python SDK names them. An
``Operation`` says which SDK method it is (as a path like ``uploader.rename``, which every SDK
spells after its own conventions), which arguments are positional, and the few names that
cannot be derived (.NET's parameter class, Go's function and parameter struct, the HTTP route).
Nothing here is written per action per language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Argument values are JSON-like: str, bool, int, list[str] or dict[str, str].
Args = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """How one SDK call is named in each SDK."""

    method: str  # the Python/Node path: "uploader.rename", "api.delete_resources", "search"
    positional: tuple[str, ...]  # arguments passed positionally, in this order
    dotnet: tuple[str, str]  # (method, params class): ("Rename", "RenameParams")
    go: tuple[str, str]  # (function, params struct): ("Upload.Rename", "uploader.RenameParams")
    http: tuple[str, str]  # (verb, path after /v1_1/{cloud}/); {name} is filled from args
    dotnet_extra: dict[str, str] = field(default_factory=dict)  # fixed .NET properties
    go_rename: dict[str, str] = field(default_factory=dict)  # Go field names that differ
    http_extra: dict[str, str] = field(default_factory=dict)  # fixed HTTP parameters

    @property
    def family(self) -> str:
        """``uploader``, ``api``, ``search`` or ``utils``."""
        return self.method.split(".")[0]

    @property
    def name(self) -> str:
        """The method's snake_case name."""
        return self.method.split(".")[-1]


def _op(method: str, positional: tuple[str, ...], dotnet: tuple[str, str], go: tuple[str, str],
        http: tuple[str, str], **extra: Any) -> Operation:  # fmt: skip
    return Operation(method, positional, dotnet, go, http, **extra)


OPERATIONS: dict[str, Operation] = {
    "upload": _op(
        "uploader.upload",
        ("file",),
        ("Upload", "ImageUploadParams"),
        ("Upload.Upload", "uploader.UploadParams"),
        ("POST", "{resource_type}/upload"),
    ),
    "rename": _op(
        "uploader.rename",
        ("from_public_id", "to_public_id"),
        ("Rename", "RenameParams"),
        ("Upload.Rename", "uploader.RenameParams"),
        ("POST", "{resource_type}/rename"),
    ),
    "destroy": _op(
        "uploader.destroy",
        ("public_id",),
        ("Destroy", "DeletionParams"),
        ("Upload.Destroy", "uploader.DestroyParams"),
        ("POST", "{resource_type}/destroy"),
    ),
    "add_tag": _op(
        "uploader.add_tag",
        ("tag", "public_ids"),
        ("Tag", "TagParams"),
        ("Upload.AddTag", "uploader.AddTagParams"),
        ("POST", "{resource_type}/tags"),
        dotnet_extra={"Command": "TagCommand.Add"},
        http_extra={"command": "add"},
    ),
    "remove_tag": _op(
        "uploader.remove_tag",
        ("tag", "public_ids"),
        ("Tag", "TagParams"),
        ("Upload.RemoveTag", "uploader.RemoveTagParams"),
        ("POST", "{resource_type}/tags"),
        dotnet_extra={"Command": "TagCommand.Remove"},
        http_extra={"command": "remove"},
    ),
    "update": _op(
        "api.update",
        ("public_id",),
        ("UpdateResource", "UpdateParams"),
        ("Admin.UpdateAsset", "admin.UpdateAssetParams"),
        ("POST", "resources/{resource_type}/{type}/{public_id}"),
    ),
    "delete_resources": _op(
        "api.delete_resources",
        ("public_ids",),
        ("DeleteResources", "DelResParams"),
        ("Admin.DeleteAssets", "admin.DeleteAssetsParams"),
        ("DELETE", "resources/{resource_type}/{type}"),
    ),
    "delete_resources_by_prefix": _op(
        "api.delete_resources_by_prefix",
        ("prefix",),
        ("DeleteResourcesByPrefix", "DelResParams"),
        ("Admin.DeleteAssetsByPrefix", "admin.DeleteAssetsByPrefixParams"),
        ("DELETE", "resources/{resource_type}/{type}"),
    ),
    "delete_resources_by_tag": _op(
        "api.delete_resources_by_tag",
        ("tag",),
        ("DeleteResourcesByTag", "DelResParams"),
        ("Admin.DeleteAssetsByTag", "admin.DeleteAssetsByTagParams"),
        ("DELETE", "resources/{resource_type}/tags/{tag}"),
    ),
    "restore": _op(
        "api.restore",
        ("public_ids",),
        ("Restore", "RestoreParams"),
        ("Admin.RestoreAssets", "admin.RestoreAssetsParams"),
        ("POST", "resources/{resource_type}/{type}/restore"),
    ),
    "add_related_assets": _op(
        "api.add_related_assets",
        ("public_id", "assets_to_relate"),
        ("AddRelatedResources", "AddRelatedResourcesParams"),
        ("Admin.AddRelatedAssets", "admin.AddRelatedAssetsParams"),
        ("POST", "resources/related_assets/{resource_type}/{type}/{public_id}"),
    ),
    "delete_related_assets": _op(
        "api.delete_related_assets",
        ("public_id", "assets_to_unrelate"),
        ("DeleteRelatedResources", "DeleteRelatedResourcesParams"),
        ("Admin.DeleteRelatedAssets", "admin.DeleteRelatedAssetsParams"),
        ("DELETE", "resources/related_assets/{resource_type}/{type}/{public_id}"),
    ),
    "create_upload_preset": _op(
        "api.create_upload_preset",
        (),
        ("CreateUploadPreset", "UploadPresetParams"),
        ("Admin.CreateUploadPreset", "admin.CreateUploadPresetParams"),
        ("POST", "upload_presets"),
    ),
    "delete_upload_preset": _op(
        "api.delete_upload_preset",
        ("name",),
        ("DeleteUploadPreset", "string"),
        ("Admin.DeleteUploadPreset", "admin.DeleteUploadPresetParams"),
        ("DELETE", "upload_presets/{name}"),
    ),
    "create_transformation": _op(
        "api.create_transformation",
        ("name", "definition"),
        ("CreateTransform", "CreateTransformParams"),
        ("Admin.CreateTransformation", "admin.CreateTransformationParams"),
        ("POST", "transformations"),
        go_rename={"definition": "Transformation"},
        http_extra={"transformation": "{definition}"},
    ),
    "delete_transformation": _op(
        "api.delete_transformation",
        ("transformation",),
        ("DeleteTransform", "string"),
        ("Admin.DeleteTransformation", "admin.DeleteTransformationParams"),
        ("DELETE", "transformations"),
    ),
    "search": _op(
        "search",
        (),
        ("Search", "Search"),
        ("Admin.Search", "search.Query"),
        ("POST", "resources/search"),
    ),
    "download_zip_url": _op(
        "utils.download_zip_url",
        (),
        ("DownloadArchiveUrl", "ArchiveParams"),
        ("Upload.DownloadZipURL", "uploader.CreateArchiveParams"),
        ("GET", "{resource_type}/generate_archive"),
        http_extra={"mode": "download"},
    ),
}


@dataclass(frozen=True)
class Call:
    """One call as the UI made it: the operation and its arguments (Python SDK names)."""

    operation: str
    args: Args

    @property
    def spec(self) -> Operation:
        return OPERATIONS[self.operation]

    def positional(self) -> list[tuple[str, Any]]:
        """The positional arguments present, in order."""
        return [(name, self.args[name]) for name in self.spec.positional if name in self.args]

    def options(self) -> Args:
        """The keyword arguments: everything that is not positional, in the order given."""
        return {k: v for k, v in self.args.items() if k not in self.spec.positional}

    def to_json(self) -> dict[str, Any]:
        """The call as stored in the session's Inspect log."""
        return {"operation": self.operation, "args": self.args}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Call:
        """A call from ``to_json``; unknown operations are an error."""
        operation = str(data.get("operation"))
        if operation not in OPERATIONS:
            raise KeyError(operation)
        return cls(operation, dict(data.get("args") or {}))


def defaults_dropped(args: Args) -> Args:
    """``args`` without ``resource_type="image"`` and ``type="upload"`` (the SDK defaults),
    so that snippets show only what matters."""
    return {
        k: v
        for k, v in args.items()
        if not (k == "resource_type" and v == "image") and not (k == "type" and v == "upload")
    }
