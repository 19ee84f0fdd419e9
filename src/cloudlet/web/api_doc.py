"""The one description of the Upload and Admin APIs that ``/openapi.json`` is built from.

Each parameter is described once (``web.api_params``); each operation names the parameters it
reads. Operations are listed by the shapes clients call
(``GET /v1_1/{cloud}/resources/{resource_type}/tags/{tag}``), which are finer than the
router's templates (``/v1_1/{cloud}/resources/{rest:path}``); tests/web/test_openapi.py
routes every operation through the app's route table and checks that every API route and
method is reached by one, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    """One documented call."""

    method: str
    path: str
    summary: str
    params: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    auth: str = "admin"  # admin (basic) | upload (signature or basic) | none
    answer: str = "Object"  # a schema in SCHEMAS
    tag: str = "Admin API"
    path_params: dict[str, str] | None = None  # {name in path: key in PATH_PARAMS}
    json_only: bool = False  # structured metadata takes JSON bodies only

    @property
    def operation_id(self) -> str:
        """``get_resources_resource_type_tags_tag``: method and path without /v1_1/{cloud}."""
        words = [w.strip("{}") for w in self.path.split("/") if w not in ("", "v1_1", "{cloud}")]
        return "_".join([self.method.lower(), *words]).replace("-", "_").replace(".", "_")


SIGNED = ("api_key", "timestamp", "signature", "signature_algorithm")
UPLOAD = (
    "file",
    "public_id",
    "folder",
    "public_id_prefix",
    "asset_folder",
    "display_name",
    "use_filename",
    "unique_filename",
    "filename_override",
    "overwrite",
    "type",
    "tags",
    "context",
    "metadata",
    "face_coordinates",
    "custom_coordinates",
    "faces",
    "allowed_formats",
    "format",
    "headers",
    "backup",
    "return_delete_token",
    "upload_preset",
    "eager",
    "eager_async",
    "eager_notification_url",
    "notification_url",
    "background_removal",
    "invalidate",
    "callback",
    *SIGNED,
)
LISTING = ("max_results", "next_cursor", "direction", "start_at", "with_tags", "with_context",
           "with_metadata", "fields")  # fmt: skip
ARCHIVE = (
    "mode",
    "type",
    "target_format",
    "target_public_id",
    "target_tags",
    "target_asset_folder",
    "archive_tags",
    "public_ids",
    "prefixes",
    "fully_qualified_public_ids",
    "transformations",
    "flatten_folders",
    "flatten_transformations",
    "skip_transformation_name",
    "use_original_filename",
    "allow_missing",
    "keep_derived",
    "expires_at",
    "async",
    "notification_url",
    *SIGNED,
)
FIELD = ("external_id", "label", "field_type", "mandatory", "default_value", "default_disabled",
         "validation", "restrictions", "allow_dynamic_list_values", "datasource")  # fmt: skip
# a preset stores every upload parameter it is given as a default
PRESET = ("name", "unsigned", *(p for p in UPLOAD[1:30] if p != "upload_preset"))

U = "/v1_1/{cloud}/{resource_type}"
SEARCH = ("expression", "sort_by", "search_max_results", "next_cursor", "with_field", "fields",
          "aggregate")  # fmt: skip
A = "/v1_1/{cloud}"
R = f"{A}/resources"
MF = f"{A}/metadata_fields"


def _upload(
    action: str,
    summary: str,
    params: tuple[str, ...],
    required: tuple[str, ...] = (),
    answer: str = "Object",
) -> Operation:
    return Operation(
        "POST",
        f"{U}/{action}",
        summary,
        (*params, *SIGNED),
        required,
        "upload",
        answer,
        "Upload API",
    )


OPERATIONS: tuple[Operation, ...] = (
    # ------------------------------------------------------------------ Upload API
    Operation(
        "POST",
        f"{U}/upload",
        "Upload a file (or one chunk of a chunked upload).",
        UPLOAD,
        ("file",),
        "upload",
        "Resource",
        "Upload API",
    ),
    Operation(
        "POST",
        f"{A}/upload",
        "Upload an image.",
        UPLOAD,
        ("file",),
        "upload",
        "Resource",
        "Upload API",
    ),
    _upload(
        "destroy",
        "Delete an asset, its versions and derivatives.",
        ("public_id", "type", "invalidate"),
        ("public_id",),
        "Result",
    ),
    _upload(
        "rename",
        "Rename an asset (same asset_id).",
        ("from_public_id", "to_public_id", "type", "to_type", "overwrite", "invalidate"),
        ("from_public_id", "to_public_id"),
        "Resource",
    ),
    _upload(
        "tags",
        "Add, remove or replace tags on assets.",
        ("tag", "public_ids", "command", "type"),
        ("command",),
        "PublicIds",
    ),
    _upload(
        "context",
        "Add or remove contextual metadata on assets.",
        ("context", "public_ids", "command", "type"),
        ("command",),
        "PublicIds",
    ),
    _upload(
        "metadata",
        "Set structured metadata on assets (all or nothing).",
        ("metadata", "public_ids", "type"),
        ("metadata", "public_ids"),
        "PublicIds",
    ),
    _upload(
        "explicit",
        "Render eager transformations of an existing asset; update it.",
        (
            "public_id",
            "type",
            "eager",
            "eager_async",
            "eager_notification_url",
            "notification_url",
            "background_removal",
            "tags",
            "context",
            "metadata",
            "face_coordinates",
            "custom_coordinates",
            "faces",
            "invalidate",
        ),
        ("public_id",),
        "Resource",
    ),
    _upload(
        "text",
        "Store an image of a text (a text style for overlays).",
        (
            "text",
            "public_id",
            "font_family",
            "font_size",
            "font_color",
            "font_weight",
            "font_style",
            "text_decoration",
            "text_align",
            "background",
            "opacity",
        ),
        ("text",),
        "Resource",
    ),
    _upload(
        "sprite",
        "Pack the images with a tag into a sprite (+ CSS, JSON).",
        ("tag", "transformation", "format", "public_id", "async", "notification_url", "urls"),
        ("tag",),
    ),
    _upload(
        "multi",
        "Make an animated GIF/WebP or a PDF of the images with a tag.",
        (
            "tag",
            "transformation",
            "format",
            "delay",
            "public_id",
            "async",
            "notification_url",
            "urls",
        ),
        ("tag",),
    ),
    _upload("generate_archive", "Make a ZIP of selected assets (stored as a raw asset).", ARCHIVE),
    Operation(
        "GET",
        f"{U}/generate_archive",
        "Download a ZIP of selected assets (signed URL, mode=download).",
        ARCHIVE,
        ("mode",),
        "upload",
        "Zip",
        "Upload API",
    ),
    Operation(
        "POST",
        f"{A}/delete_by_token",
        "Delete an asset with its delete token (no credentials).",
        ("token",),
        ("token",),
        "none",
        "Result",
        "Upload API",
    ),
    Operation(
        "POST",
        f"{U}/{{action}}",
        "Any other Upload API action: 404, not supported yet.",
        SIGNED,
        (),
        "upload",
        "Object",
        "Upload API",
    ),
    # ------------------------------------------------------------------- Admin API
    Operation("GET", f"{A}/ping", "Check the credentials.", answer="Object"),
    Operation("GET", f"{A}/usage", "Storage, asset and derivative totals."),
    Operation("GET", f"{A}/usage/{{date}}", "The totals (today's; no history is kept)."),
    Operation("GET", f"{A}/config", "The cloud's configuration.", ("settings",)),
    Operation("GET", R, "The resource types."),
    Operation(
        "DELETE", R, "Delete assets by asset id.", ("asset_ids",), ("asset_ids",), answer="Deleted"
    ),
    Operation(
        "GET",
        f"{R}/by_asset_ids",
        "Assets by asset id.",
        ("asset_ids", *LISTING[4:]),
        ("asset_ids",),
        answer="ResourceList",
    ),
    Operation(
        "GET",
        f"{R}/{{resource_type}}",
        "List assets of a resource type (or one asset by asset id).",
        ("prefix", "type", *LISTING),
        answer="ResourceList",
        path_params={"resource_type": "listed_type"},
    ),
    Operation(
        "GET",
        f"{R}/{{resource_type}}/{{type}}",
        "List assets of a type, or by public_ids.",
        ("prefix", "public_ids", *LISTING),
        answer="ResourceList",
    ),
    Operation(
        "GET",
        f"{R}/{{resource_type}}/tags/{{tag}}",
        "List assets with a tag.",
        LISTING,
        answer="ResourceList",
    ),
    Operation(
        "GET",
        f"{R}/{{resource_type}}/context",
        "List assets by context key (and value).",
        ("key", "value", *LISTING),
        ("key",),
        answer="ResourceList",
    ),
    Operation(
        "GET",
        f"{R}/{{resource_type}}/{{type}}/{{public_id}}",
        "One asset, with its derivatives.",
        ("related", "related_next_cursor", "versions", "faces", "with_metadata"),
        answer="Resource",
    ),
    Operation(
        "POST",
        f"{R}/{{resource_type}}/{{type}}/{{public_id}}",
        "Update an asset's tags, context, metadata, coordinates.",
        (
            "tags",
            "context",
            "metadata",
            "face_coordinates",
            "custom_coordinates",
            "background_removal",
            "notification_url",
        ),
        answer="Resource",
    ),
    Operation(
        "POST",
        f"{R}/{{resource_type}}/{{type}}/restore",
        "Restore backed-up versions.",
        ("public_ids", "restore_versions"),
        ("public_ids",),
    ),
    Operation(
        "DELETE",
        f"{R}/{{resource_type}}/{{type}}",
        "Delete assets by public_ids, prefix or all (or only derivatives).",
        ("public_ids", "prefix", "all", "keep_original", "derived_transformations", "next_cursor"),
        answer="Deleted",
    ),
    Operation(
        "DELETE",
        f"{R}/{{resource_type}}/tags/{{tag}}",
        "Delete the assets with a tag.",
        ("keep_original", "next_cursor"),
        answer="Deleted",
    ),
    Operation(
        "POST",
        f"{R}/related_assets/{{resource_type}}/{{type}}/{{public_id}}",
        "Relate assets.",
        ("assets_to_relate",),
        ("assets_to_relate",),
        answer="Relations",
    ),
    Operation(
        "DELETE",
        f"{R}/related_assets/{{resource_type}}/{{type}}/{{public_id}}",
        "Unrelate assets.",
        ("assets_to_unrelate",),
        ("assets_to_unrelate",),
        answer="Relations",
    ),
    Operation(
        "POST",
        f"{R}/related_assets/{{asset_id}}",
        "Relate assets (by asset id).",
        ("assets_to_relate",),
        ("assets_to_relate",),
        answer="Relations",
    ),
    Operation(
        "DELETE",
        f"{R}/related_assets/{{asset_id}}",
        "Unrelate assets (by asset id).",
        ("assets_to_unrelate",),
        ("assets_to_unrelate",),
        answer="Relations",
    ),
    Operation(
        "GET", f"{A}/tags/{{resource_type}}", "List tags.", ("prefix", "max_results", "next_cursor")
    ),
    Operation(
        "DELETE",
        f"{A}/derived_resources",
        "Delete derivatives by id.",
        ("derived_resource_ids",),
        ("derived_resource_ids",),
    ),
    Operation(
        "GET",
        f"{A}/transformations",
        "List named transformations, or one (transformation=name).",
        ("named", "max_results", "next_cursor"),
    ),
    Operation(
        "POST",
        f"{A}/transformations",
        "Create a named transformation.",
        ("name", "transformation", "allowed_for_strict"),
        ("name", "transformation"),
    ),
    Operation(
        "PUT",
        f"{A}/transformations",
        "Update a named transformation.",
        ("named", "allowed_for_strict", "unsafe_update"),
        ("named",),
    ),
    Operation(
        "DELETE", f"{A}/transformations", "Delete a named transformation.", ("named",), ("named",)
    ),
    Operation("POST", f"{R}/search", "Search assets (JSON body).", SEARCH),
    Operation("GET", f"{R}/search", "Search assets (query parameters).", SEARCH),
    Operation(
        "POST",
        f"{A}/folders/search",
        "Search folders by name and path.",
        ("expression", "sort_by", "search_max_results", "next_cursor"),
    ),
    Operation("GET", f"{A}/folders", "Root folders.", ("max_results", "next_cursor")),
    Operation(
        "GET", f"{A}/folders/{{path}}", "Subfolders of a folder.", ("max_results", "next_cursor")
    ),
    Operation("POST", f"{A}/folders/{{path}}", "Create a folder."),
    Operation(
        "PUT",
        f"{A}/folders/{{path}}",
        "Rename a folder (its assets move).",
        ("to_folder",),
        ("to_folder",),
    ),
    Operation("DELETE", f"{A}/folders/{{path}}", "Delete an empty folder."),
    Operation("GET", f"{A}/upload_presets", "List upload presets.", ("max_results", "next_cursor")),
    Operation("POST", f"{A}/upload_presets", "Create an upload preset.", PRESET),
    Operation("GET", f"{A}/upload_presets/{{name}}", "One upload preset."),
    Operation("PUT", f"{A}/upload_presets/{{name}}", "Update an upload preset.", PRESET[1:]),
    Operation("DELETE", f"{A}/upload_presets/{{name}}", "Delete an upload preset."),
    Operation("GET", MF, "List metadata fields."),
    Operation(
        "POST", MF, "Create a metadata field.", FIELD, ("label", "field_type"), json_only=True
    ),
    Operation(
        "PUT",
        f"{MF}/order",
        "Reorder the fields.",
        ("order_by", "direction"),
        ("order_by",),
        json_only=True,
    ),
    Operation("GET", f"{MF}/{{external_id}}", "One metadata field."),
    Operation(
        "PUT", f"{MF}/{{external_id}}", "Update a metadata field.", FIELD[1:], json_only=True
    ),
    Operation(
        "DELETE", f"{MF}/{{external_id}}", "Delete a metadata field (and every asset's value)."
    ),
    Operation(
        "PUT",
        f"{MF}/{{external_id}}/datasource",
        "Add or update datasource entries.",
        ("values",),
        ("values",),
        json_only=True,
    ),
    Operation(
        "DELETE",
        f"{MF}/{{external_id}}/datasource",
        "Deactivate datasource entries.",
        ("external_ids",),
        ("external_ids",),
        json_only=True,
    ),
    Operation(
        "POST",
        f"{MF}/{{external_id}}/datasource/order",
        "Reorder the datasource.",
        ("order_by", "direction"),
        ("order_by",),
        json_only=True,
    ),
    Operation(
        "POST",
        f"{MF}/{{external_id}}/datasource_restore",
        "Reactivate datasource entries.",
        ("external_ids",),
        ("external_ids",),
        json_only=True,
    ),
    # ------------------------------------------------------------------ operations
    Operation(
        "GET",
        "/metrics",
        "Prometheus metrics of the whole server.",
        auth="none",
        answer="Text",
        tag="Operations",
    ),
    Operation("GET", "/healthz", "The process is up.", auth="none", tag="Operations"),
    Operation(
        "GET",
        "/readyz",
        "Catalog, blob store and queue answer (else 503).",
        auth="none",
        answer="Ready",
        tag="Operations",
    ),
    Operation("GET", "/openapi.json", "This document.", auth="none", tag="Operations"),
)
