"""Every Upload and Admin API parameter, described once (see ``web.api_doc``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
BOOL: Schema = {"type": "boolean"}
INT: Schema = {"type": "integer"}
LIST: Schema = {"type": "array", "items": {"type": "string"}}
OBJECT: Schema = {"type": "object", "additionalProperties": True}
URL: Schema = {"type": "string", "format": "uri"}
HEX32 = "^[0-9a-f]{32}$"


@dataclass(frozen=True)
class Param:
    """A request parameter: its name on the wire, schema and meaning."""

    name: str
    schema: Schema
    text: str
    example: str = ""  # path parameters: a value the route table must accept


def _p(schema: Schema, text: str, name: str = "") -> Param:
    return Param(name, schema, text)


# Body / query parameters, by key (the key is the wire name unless ``name`` says otherwise).
PARAMS: dict[str, Param] = {
    # -- credentials of signed Upload API calls (or HTTP basic auth instead)
    "api_key": _p(STRING, "The cloud's API key (signed calls)."),
    "timestamp": _p(INT, "Unix time of the call; within an hour of the server's clock."),
    "signature": _p(STRING, "SHA-1 or SHA-256 hex of the sorted parameters + API secret."),
    "signature_algorithm": _p(STRING, "sha1 (default) or sha256."),
    # -- upload
    "file": _p(STRING, "The file: a multipart part, an http(s) URL or a data: URI."),
    "public_id": _p(STRING, "The asset's id (folders separated by '/')."),
    "folder": _p(STRING, "Prefixed to the public id; also the default asset_folder."),
    "public_id_prefix": _p(STRING, "Prefixed before the folder."),
    "asset_folder": _p(STRING, "The folder shown for the asset."),
    "display_name": _p(STRING, "The name shown for the asset."),
    "use_filename": _p(BOOL, "Public id from the file's name."),
    "unique_filename": _p(BOOL, "With use_filename: add a random suffix (default true)."),
    "filename_override": _p(STRING, "The name used as original_filename."),
    "overwrite": _p(BOOL, "Replace an existing asset (default true on upload)."),
    "type": _p(
        {"type": "string", "enum": ["upload", "private", "authenticated"]},
        "The delivery type.",
    ),
    "tags": _p(LIST, "Tags: a list or a comma-separated string."),
    "context": _p(STRING, "Contextual metadata: key=value|key2=value2, or a JSON object."),
    "metadata": _p(STRING, "Structured metadata values: id=value|id2=[...], or a JSON object."),
    "face_coordinates": _p(STRING, "Faces as x,y,w,h|x,y,w,h."),
    "custom_coordinates": _p(STRING, "A region of interest as x,y,w,h."),
    "faces": _p(BOOL, "Detect faces now and return them."),
    "allowed_formats": _p(LIST, "Refuse files in other formats."),
    "format": _p(STRING, "Convert an image to this format on upload."),
    "headers": _p(STRING, "Link and X-Robots-Tag headers sent with every delivery."),
    "backup": _p(BOOL, "Keep this version when it is overwritten or deleted."),
    "return_delete_token": _p(BOOL, "Return a delete_token valid for 10 minutes."),
    "upload_preset": _p(STRING, "A preset whose settings fill in absent parameters."),
    "eager": _p(STRING, "Transformations to render now, '|'-separated."),
    "eager_async": _p(BOOL, "Queue the eager renders instead of waiting for them."),
    "eager_notification_url": _p(URL, "Where the eager notification is POSTed."),
    "notification_url": _p(URL, "Where notifications are POSTed."),
    "background_removal": _p(STRING, "cloudinary_ai: cut the subject out in a queued job."),
    "invalidate": _p(BOOL, "Invalidate CDN copies (accepted)."),
    "callback": _p(URL, "Accepted and ignored (browser uploads)."),
    # -- rename, tags, context, metadata, destroy
    "from_public_id": _p(STRING, "The asset to rename."),
    "to_public_id": _p(STRING, "Its new public id."),
    "to_type": _p(STRING, "Its new delivery type."),
    "tag": _p(LIST, "One tag, a list, or a comma-separated string."),
    "command": _p(STRING, "add, remove, replace, remove_all or set_exclusive."),
    "public_ids": _p(LIST, "Public ids (at most 100 or 1000, per call)."),
    "token": _p(STRING, "A delete token from return_delete_token."),
    # -- text
    "text": _p(STRING, "The text to draw (at most 4000 characters)."),
    "font_family": _p(STRING, "Font family (default Arial)."),
    "font_size": _p(INT, "Font size in pixels (default 12)."),
    "font_color": _p(STRING, "Color name, #rgb, #rrggbb or rgb:..."),
    "font_weight": _p(STRING, "normal or bold."),
    "font_style": _p(STRING, "normal or italic."),
    "text_decoration": _p(STRING, "none, underline or strikethrough."),
    "text_align": _p(STRING, "left, center or right."),
    "background": _p(STRING, "Background color (default transparent)."),
    "opacity": _p(INT, "Opacity 0-100."),
    # -- sprites, multi, archives
    "transformation": _p(STRING, "A transformation (e.g. c_scale,w_100)."),
    "async": _p(BOOL, "Accepted; the work is done before the answer."),
    "urls": _p(LIST, "Not supported (400)."),
    "delay": _p(INT, "Milliseconds per frame."),
    "mode": _p({"type": "string", "enum": ["create", "download"]}, "Store or return the ZIP."),
    "target_format": _p(STRING, "zip (the only format)."),
    "target_public_id": _p(STRING, "Public id of the stored archive."),
    "target_tags": _p(LIST, "Tags of the stored archive."),
    "target_asset_folder": _p(STRING, "Folder of the stored archive."),
    "archive_tags": _p(LIST, "Select assets with these tags.", "tags"),
    "prefixes": _p(LIST, "Select assets whose public id starts with one of these."),
    "fully_qualified_public_ids": _p(LIST, "Select resource_type/type/public_id ids."),
    "transformations": _p(STRING, "Render each image with each ('|'-separated)."),
    "flatten_folders": _p(BOOL, "Drop folders from file names."),
    "flatten_transformations": _p(BOOL, "Put renders at the root of the ZIP."),
    "skip_transformation_name": _p(BOOL, "Leave the transformation out of names."),
    "use_original_filename": _p(BOOL, "Name files after the uploaded file."),
    "allow_missing": _p(BOOL, "Skip public ids that do not exist."),
    "keep_derived": _p(BOOL, "Accepted (renders stay cached)."),
    "expires_at": _p(INT, "Unix time after which a download URL is refused."),
    # -- Admin API listings
    "prefix": _p(STRING, "Only public ids (or tags) starting with this."),
    "max_results": _p(INT, "Page size (default 10, at most 500)."),
    "next_cursor": _p(STRING, "The cursor of the next page."),
    "direction": _p(STRING, "asc, desc, 1 or -1."),
    "start_at": _p(STRING, "Only assets created from this date (ISO 8601, RFC 2822)."),
    "with_tags": _p(BOOL, "Include each asset's tags.", "tags"),
    "with_context": _p(BOOL, "Include each asset's context.", "context"),
    "with_metadata": _p(BOOL, "Include each asset's structured metadata.", "metadata"),
    "fields": _p(LIST, "Only these fields of each asset."),
    "asset_ids": _p(LIST, "Asset ids (at most 100)."),
    # -- Search API (docs/search.md)
    "expression": _p(STRING, "A Lucene-like search expression (docs/search.md)."),
    "sort_by": _p({"type": "array", "items": OBJECT}, 'Sort keys: [{"created_at": "desc"}, ...].'),
    "search_max_results": _p(
        INT, "Page size (default 50, at most 500; 0: counts only).", "max_results"
    ),
    "with_field": _p(LIST, "Extra fields: tags, context, metadata, image_metadata."),
    "aggregate": _p(
        {"type": "array", "items": {}},
        "Counts per format, resource_type, type, or per range of bytes/pixels/duration.",
    ),
    "key": _p(STRING, "Context key to look up."),
    "value": _p(STRING, "Context value to look up."),
    "related": _p(BOOL, "Include related assets."),
    "related_next_cursor": _p(STRING, "The cursor of the next page of related assets."),
    "versions": _p(BOOL, "Include backed-up versions."),
    "restore_versions": _p(LIST, "Version ids to restore, one per public id.", "versions"),
    "keep_original": _p(BOOL, "Delete only the derivatives."),
    "derived_transformations": _p(STRING, "With keep_original: only these.", "transformations"),
    "all": _p(BOOL, "Delete every asset of the type."),
    "derived_resource_ids": _p(LIST, "Ids of derivatives to delete."),
    "assets_to_relate": _p(LIST, "rt/type/public_id or asset ids (at most 10)."),
    "assets_to_unrelate": _p(LIST, "rt/type/public_id or asset ids."),
    "settings": _p(BOOL, "Include the cloud's settings."),
    "to_folder": _p(STRING, "The folder's new path."),
    # -- presets and named transformations
    "name": _p(STRING, "The name."),
    "unsigned": _p(BOOL, "Allow unsigned uploads with this preset."),
    "named": _p(STRING, "The named transformation's name.", "transformation"),
    "allowed_for_strict": _p(BOOL, "Usable when strict transformations are on."),
    "unsafe_update": _p(STRING, "A new definition (renames keep URLs working)."),
    # -- structured metadata (JSON bodies)
    "external_id": _p(STRING, "The field's id (generated when absent)."),
    "label": _p(STRING, "The field's label."),
    "field_type": _p(
        {"type": "string", "enum": ["string", "integer", "date", "enum", "set"]},
        "The field's type.",
        "type",
    ),
    "mandatory": _p(BOOL, "A value is required (needs default_value)."),
    "default_value": _p({}, "The default value."),
    "default_disabled": _p(BOOL, "Do not apply the default."),
    "validation": _p(OBJECT, "A validation rule."),
    "restrictions": _p(OBJECT, "Stored and returned."),
    "allow_dynamic_list_values": _p(BOOL, "Stored."),
    "datasource": _p(OBJECT, "{values: [{external_id, value}]} for enum and set fields."),
    "values": _p({"type": "array", "items": OBJECT}, "Datasource entries."),
    "external_ids": _p(LIST, "Datasource entry ids."),
    "order_by": _p(STRING, "label, external_id, created_at or value."),
}

PATH_PARAMS: dict[str, Param] = {
    "cloud": Param(
        "cloud", {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$"}, "The cloud.", "demo"
    ),
    "resource_type": Param(
        "resource_type",
        {"type": "string", "enum": ["image", "video", "raw", "auto"]},
        "The resource type.",
        "image",
    ),
    "listed_type": Param(
        "resource_type",
        {
            "anyOf": [
                {"type": "string", "enum": ["image", "video", "raw"]},
                {"type": "string", "pattern": HEX32},
            ]
        },
        "A resource type, or an asset id (32 hex) for that one asset.",
        "image",
    ),
    "type": Param(
        "type", {"type": "string"}, "The delivery type (upload, private, ...).", "upload"
    ),
    "public_id": Param(
        "public_id", {"type": "string"}, "The public id ('/' allowed).", "shoes/red"
    ),
    "asset_id": Param(
        "asset_id",
        {"type": "string", "pattern": HEX32},
        "An asset id.",
        "0123456789abcdef0123456789abcdef",
    ),
    "tag": Param("tag", {"type": "string"}, "A tag.", "blue"),
    "date": Param("date", {"type": "string"}, "dd-mm-yyyy (also yyyy-mm-dd).", "04-10-2024"),
    "path": Param("path", {"type": "string"}, "The folder's path ('/' allowed).", "toplevel"),
    "name": Param("name", {"type": "string"}, "The preset's name.", "preset1"),
    "external_id": Param("external_id", {"type": "string"}, "The field's external id.", "size"),
    "action": Param("action", {"type": "string"}, "Any other action.", "unknown_action"),
}
