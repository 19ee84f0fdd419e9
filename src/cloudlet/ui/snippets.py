"""Inspect mode: one ``Call`` written out for each SDK.

Each language is a small renderer of the same description (``ui.calls``): how it spells a
method path, a value of each kind (text, boolean, number, list, map) and an options bag. Every
snippet configures itself from ``CLOUDINARY_URL``, as the SDKs do by default.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Any

from cloudlet.ui.calls import Call, defaults_dropped

LANGUAGES: dict[str, str] = {
    "python": "Python",
    "node": "Node.js",
    "ruby": "Ruby",
    "php": "PHP",
    "java": "Java",
    "dotnet": ".NET",
    "go": "Go",
    "cli": "CLI / cURL",
}


def camel(name: str) -> str:
    """``delete_resources`` → ``deleteResources``."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def pascal(name: str) -> str:
    """``public_ids`` → ``PublicIds``."""
    return "".join(part.capitalize() for part in name.split("_"))


def go_field(name: str) -> str:
    """Go's exported field names keep initialisms upper case: ``public_ids`` → ``PublicIDs``."""
    words = [
        {"id": "ID", "ids": "IDs", "url": "URL"}.get(w, w.capitalize()) for w in name.split("_")
    ]
    return "".join(words)


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _identifier(name: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None


# ---------------------------------------------------------------------------- Python
def _py(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_text(str(k))}: {_py(v)}" for k, v in value.items()) + "}"
    return _text(str(value))


def python(call: Call) -> str:
    """The Python SDK (``pip install cloudinary``)."""
    spec = call.spec
    args = defaults_dropped(call.args)
    if spec.family == "search":
        chain = "".join(f"\n    {link}" for link in _chain(args, _py, snake=True))
        return (
            f"import cloudinary\n\nresult = (\n    cloudinary.Search(){chain}\n"
            "    .execute()\n)\nprint(result)\n"
        )
    items = [_py(v) for _, v in Call(call.operation, args).positional()]
    items += [f"{k}={_py(v)}" for k, v in Call(call.operation, args).options().items()]
    module = {"api": "cloudinary.api", "uploader": "cloudinary.uploader"}.get(
        spec.family, "cloudinary.utils"
    )
    return (
        f"import cloudinary\nimport {module}\n\n"
        f"result = cloudinary.{spec.method}({', '.join(items)})\nprint(result)\n"
    )


def _chain(args: dict[str, Any], literal: Callable[[Any], str], *, snake: bool) -> list[str]:
    """A search as builder calls: ``.expression(…)``, ``.sort_by(field, dir)``, …"""
    links = []
    for key, value in args.items():
        method = key if snake else camel(key)
        if key == "sort_by":
            links += [f".{method}({literal(f)}, {literal(d)})" for s in value for f, d in s.items()]
        elif isinstance(value, list):
            links += [f".{method}({literal(v)})" for v in value]
        else:
            links.append(f".{method}({literal(value)})")
    return links


# ---------------------------------------------------------------------------- Node.js
def _js(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_js(v) for v in value) + "]"
    if isinstance(value, dict):
        return _js_object(value)
    return _text(str(value))


def _js_object(values: dict[str, Any]) -> str:
    if not values:
        return "{}"
    pairs = [f"{k if _identifier(k) else _text(k)}: {_js(v)}" for k, v in values.items()]
    return "{ " + ", ".join(pairs) + " }"


def node(call: Call) -> str:
    """The Node.js SDK (``npm install cloudinary``)."""
    spec = call.spec
    args = defaults_dropped(call.args)
    head = "const cloudinary = require('cloudinary').v2;\n\n"
    if spec.family == "search":
        chain = "".join(f"\n  {link}" for link in _chain(args, _js, snake=True))
        return (
            f"{head}cloudinary.search{chain}\n  .execute()\n"
            "  .then((result) => console.log(result));\n"
        )
    shaped = Call(call.operation, args)
    items = [_js(v) for _, v in shaped.positional()]
    options = shaped.options()
    if spec.family == "utils":
        return f"{head}console.log(cloudinary.{spec.method}({_js_object(options)}));\n"
    if options or spec.family == "api" and not items:
        items.append(_js_object(options))
    return (
        f"{head}cloudinary.{spec.method}({', '.join(items)})\n"
        "  .then((result) => console.log(result));\n"
    )


# ---------------------------------------------------------------------------- Ruby
def _rb(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_rb(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_text(str(k))} => {_rb(v)}" for k, v in value.items()) + " }"
    return _js(value)


def ruby(call: Call) -> str:
    """The Ruby SDK (``gem install cloudinary``)."""
    spec = call.spec
    args = defaults_dropped(call.args)
    if spec.family == "search":
        chain = "".join(_chain(args, _rb, snake=True))
        return f"require 'cloudinary'\n\nresult = Cloudinary::Search{chain}.execute\np result\n"
    shaped = Call(call.operation, args)
    items = [_rb(v) for _, v in shaped.positional()]
    items += [f"{k}: {_rb(v)}" for k, v in shaped.options().items()]
    owner = {"api": "Api", "uploader": "Uploader"}.get(spec.family, "Utils")
    call_text = f"Cloudinary::{owner}.{spec.name}({', '.join(items)})"
    return f"require 'cloudinary'\n\nresult = {call_text}\np result\n"


# ---------------------------------------------------------------------------- PHP
def _php(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_php(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{_php(str(k))} => {_php(v)}" for k, v in value.items()) + "]"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def php(call: Call) -> str:
    """The PHP SDK v2 (``composer require cloudinary/cloudinary_php``)."""
    spec = call.spec
    args = defaults_dropped(call.args)
    head = (
        "<?php\nuse Cloudinary\\Cloudinary;\n\n"
        "$cloudinary = new Cloudinary(); // reads CLOUDINARY_URL\n"
    )
    if spec.family == "search":
        chain = "".join(f"\n    ->{link[1:]}" for link in _chain(args, _php, snake=False))
        return (
            f"{head}$result = $cloudinary->searchApi(){chain}\n"
            "    ->execute();\nprint_r($result);\n"
        )
    shaped = Call(call.operation, args)
    items = [_php(v) for _, v in shaped.positional()]
    if shaped.options() or not items:
        items.append(_php(shaped.options()))
    api = "adminApi" if spec.family == "api" else "uploadApi"
    method = camel(spec.name).replace("Resources", "Assets")
    return (
        f"{head}$result = $cloudinary->{api}()->{method}({', '.join(items)});\nprint_r($result);\n"
    )


# ---------------------------------------------------------------------------- Java
def _java(value: Any, *, array: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        inner = ", ".join(_java(v) for v in value)
        return f"new String[]{{{inner}}}" if array else f"Arrays.asList({inner})"
    if isinstance(value, dict):
        return _java_map(value)
    return _text(str(value))


def _java_map(values: dict[str, Any]) -> str:
    if not values:
        return "ObjectUtils.emptyMap()"
    pairs = ", ".join(f"{_text(k)}, {_java(v)}" for k, v in values.items())
    return f"ObjectUtils.asMap({pairs})"


def java(call: Call) -> str:
    """The Java SDK (``com.cloudinary:cloudinary-http5``)."""
    spec = call.spec
    args = defaults_dropped(call.args)
    head = 'Cloudinary cloudinary = new Cloudinary(System.getenv("CLOUDINARY_URL"));\n'
    if spec.family == "search":
        chain = "".join(f"\n    {link}" for link in _chain(args, _java, snake=False))
        return f"{head}ApiResponse result = cloudinary.search(){chain}\n    .execute();\n"
    shaped = Call(call.operation, args)
    uploader = spec.family == "uploader"
    items = [_java(v, array=uploader) for _, v in shaped.positional()]
    items.append(_java_map(shaped.options()))
    if spec.family == "utils":
        return f"{head}String url = cloudinary.downloadZip({items[-1]});\n"
    owner = "uploader()" if uploader else "api()"
    return f"{head}Map result = cloudinary.{owner}.{camel(spec.name)}({', '.join(items)});\n"


# ---------------------------------------------------------------------------- .NET
def _cs(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "new List<string> { " + ", ".join(_cs(v) for v in value) + " }"
    if isinstance(value, dict):
        pairs = ", ".join(f"{{ {_text(str(k))}, {_cs(v)} }}" for k, v in value.items())
        return "new StringDictionary { " + pairs + " }"
    return _text(str(value))


def _cs_property(name: str, value: Any) -> str:
    if name == "resource_type":
        return f"ResourceType = ResourceType.{str(value).capitalize()}"
    if name == "file":
        return f"File = new FileDescription({_text(str(value))})"
    return f"{pascal(name)} = {_cs(value)}"


def dotnet(call: Call) -> str:
    """The .NET SDK (``dotnet add package CloudinaryDotNet``)."""
    spec = call.spec
    method, params_class = spec.dotnet
    args = defaults_dropped(call.args)
    head = (
        'var cloudinary = new Cloudinary(Environment.GetEnvironmentVariable("CLOUDINARY_URL"));\n'
    )
    if spec.family == "search":
        # the builder's camelCase methods, capitalised: .sortBy(…) → .SortBy(…)
        chain = "".join(
            f"\n    .{link[1].upper()}{link[2:]}" for link in _chain(args, _cs, snake=False)
        )
        return f"{head}var result = cloudinary.Search(){chain}\n    .Execute();\n"
    if params_class == "string":
        return (
            f"{head}var result = cloudinary.{method}({', '.join(_cs(v) for v in args.values())});\n"
        )
    if call.operation == "upload":  # one parameters class per resource type
        kind = str(args.pop("resource_type", "image")).capitalize()
        params_class = f"{kind}UploadParams"
    props = [_cs_property(k, v) for k, v in args.items()]
    props += [f"{k} = {v}" for k, v in spec.dotnet_extra.items()]
    body = "".join(f"\n    {p}," for p in props)
    return f"{head}var result = cloudinary.{method}(new {params_class}\n{{{body}\n}});\n"


# ---------------------------------------------------------------------------- Go
def _go(value: Any) -> str:
    if isinstance(value, bool):
        return f"api.Bool({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[]string{" + ", ".join(_go(v) for v in value) + "}"
    if isinstance(value, dict):
        pairs = ", ".join(f"{_text(str(k))}: {_go(v)}" for k, v in value.items())
        return "api.CldAPIMap{" + pairs + "}"
    return _text(str(value))


def go(call: Call) -> str:
    """The Go SDK (``go get github.com/cloudinary/cloudinary-go/v2``)."""
    spec = call.spec
    function, params_struct = spec.go
    args = defaults_dropped(call.args)
    head = "cld, _ := cloudinary.New() // reads CLOUDINARY_URL\nctx := context.Background()\n\n"
    fields = []
    for key, value in args.items():
        if key == "file":
            continue
        name = spec.go_rename.get(key) or go_field(key)
        if key == "sort_by":
            sorts = ", ".join(f"{{{_text(f)}: {_text(d)}}}" for s in value for f, d in s.items())
            fields.append(f"SortBy: []search.SortByField{{{sorts}}}")
        else:
            fields.append(f"{name}: {_go(value)}")
    body = "".join(f"\n\t{f}," for f in fields)
    extra = f"{_go(args['file'])}, " if "file" in args else ""
    return f"{head}result, err := cld.{function}(ctx, {extra}{params_struct}{{{body}\n}})\n"


# ---------------------------------------------------------------------------- CLI / cURL
def _form_pairs(args: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in args.items():
        if isinstance(value, list):
            pairs += [(f"{key}[]", str(v)) for v in value]
        elif isinstance(value, dict):
            pairs.append((key, "|".join(f"{k}={v}" for k, v in value.items())))
        elif isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        else:
            pairs.append((key, str(value)))
    return pairs


def _cli_value(value: Any) -> str:
    if isinstance(value, list | dict):
        return shlex.quote(json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool):
        return "true" if value else "false"
    return shlex.quote(str(value))


def _cld(call: Call, args: dict[str, Any]) -> str:
    spec = call.spec
    if spec.family == "search":
        line = ["cld", "search", shlex.quote(str(args.get("expression", "")))]
        for sort in args.get("sort_by", []):
            line += ["-s", *(shlex.quote(x) for pair in sort.items() for x in pair)]
        if "max_results" in args:
            line += ["-n", str(args["max_results"])]
        return " ".join(line)
    family = {"api": "admin", "uploader": "uploader"}.get(spec.family, "utils")
    shaped = Call(call.operation, args)
    line = ["cld", family, spec.name, *(_cli_value(v) for _, v in shaped.positional())]
    for key, value in shaped.options().items():
        flag = "-O" if isinstance(value, list | dict) else "-o"
        line += [flag, key, _cli_value(value)]
    return " ".join(line)


def _curl(call: Call, args: dict[str, Any], base_url: str, cloud: str) -> str:
    verb, path = call.spec.http
    path_args = {"resource_type": "image", "type": "upload", **args}
    used = set(re.findall(r"{(\w+)}", path))
    url = f"{base_url}/v1_1/{cloud}/" + path.format(**{k: path_args.get(k, "") for k in used})
    body = {k: v for k, v in args.items() if k not in used or k == "definition"}
    body.update({k: v.format(**args) for k, v in call.spec.http_extra.items()})
    body.pop("definition", None)
    line = ["curl", "-u", '"$CLOUDINARY_API_KEY:$CLOUDINARY_API_SECRET"']
    if call.spec.family == "search":
        payload = json.dumps(body, ensure_ascii=False)
        line += ["-H", "'Content-Type: application/json'", "-d", shlex.quote(payload)]
        return " \\\n  ".join([" ".join(line), shlex.quote(url)])
    if verb == "GET":
        line.append("-G")
    elif verb != "POST" or "file" not in body:
        line += ["-X", verb]
    parts = [" ".join(line), shlex.quote(url)]
    for key, value in _form_pairs(body):
        if key == "file":
            parts.append(f"-F file=@{shlex.quote(value)}")
        else:
            flag = "-F" if "file" in body else "--data-urlencode"
            parts.append(f"{flag} {shlex.quote(f'{key}={value}')}")
    return " \\\n  ".join(parts)


def cli(call: Call, base_url: str = "http://127.0.0.1:8000", cloud: str = "demo") -> str:
    """The Cloudinary CLI (``pip install cloudinary-cli``) and plain cURL."""
    args = defaults_dropped(call.args)
    return (
        f"# Cloudinary CLI\n{_cld(call, args)}\n\n"
        f"# cURL (Cloudlet takes the API key and secret as basic auth on every API)\n"
        f"{_curl(call, call.args, base_url, cloud)}\n"
    )


def snippets(call: Call, base_url: str, cloud: str) -> dict[str, str]:
    """The call in every language of ``LANGUAGES``."""
    return {
        "python": python(call),
        "node": node(call),
        "ruby": ruby(call),
        "php": php(call),
        "java": java(call),
        "dotnet": dotnet(call),
        "go": go(call),
        "cli": cli(call, base_url, cloud),
    }
