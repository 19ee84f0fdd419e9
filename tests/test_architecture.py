"""The import rules of ARCHITECTURE.md, checked by parsing every module under src/cloudlet.

Nothing is imported: each module's source is parsed with ``ast`` and every ``import`` /
``from … import`` statement (also those inside functions and ``TYPE_CHECKING`` blocks) is
resolved to an absolute module name and checked against the rules of its package.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "cloudlet"
MAX_LINES = 600
SOURCE_SUFFIXES = {".py", ".html", ".js", ".css", ".vcl"}

# Third-party distributions that provide images (and what imaging may use).
IMAGING_LIBS = {"pyvips", "av", "numpy", "cv2"}
WEB_LIBS = {"starlette", "uvicorn"}
# The identifier of a concrete backend: ``<Backend>Storage``, ``<Backend>Invalidator``.
CONCRETE_STORAGE = re.compile(r"^[A-Z]\w*(?:Storage|Invalidator)$")
ROLES = {"Storage", "Invalidator"}
# backend packages and the module of each that holds its abstract role
BACKEND_PACKAGES = {
    "cloudlet.storage": "cloudlet.storage.base",
    "cloudlet.cdn": "cloudlet.cdn.base",
}


@dataclass(frozen=True)
class ImportRef:
    """One imported module (or ``module.name`` for ``from module import name``)."""

    module: str
    line: int


@dataclass(frozen=True)
class Module:
    name: str  # dotted: cloudlet.services.upload
    path: Path
    tree: ast.Module

    @property
    def relpath(self) -> str:
        return str(self.path.relative_to(SRC.parent))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _all_modules() -> list[Module]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules.append(Module(_module_name(path), path, tree))
    return modules


MODULES = _all_modules()


def _resolve_relative(module: Module, level: int, target: str | None) -> str:
    package = module.name.split(".")
    if module.path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, target] if target else base)


def imports_of(module: Module) -> Iterator[ImportRef]:
    """Every module the source imports; ``from a import b`` yields ``a.b`` as well as ``a``
    so that ``from cloudlet.storage import local`` is seen as ``cloudlet.storage.local``."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportRef(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _resolve_relative(module, node.level, node.module)
            yield ImportRef(base, node.lineno)
            for alias in node.names:
                if alias.name != "*":
                    yield ImportRef(f"{base}.{alias.name}", node.lineno)


def _top(name: str) -> str:
    return name.split(".")[0]


def is_stdlib(name: str) -> bool:
    return _top(name) in sys.stdlib_module_names or _top(name) == "__future__"


def within(name: str, *packages: str) -> bool:
    """Whether ``name`` is one of ``packages`` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in packages)


def _is_cloudlet(name: str) -> bool:
    return within(name, "cloudlet")


def _from_import_names(ref: ImportRef) -> bool:
    """Whether ``ref`` is the ``a.b`` form made up from ``from a import b`` (b may be a class,
    not a module); such refs only matter when ``a.b`` names a real cloudlet module."""
    if not _is_cloudlet(ref.module):
        return False
    known = {m.name for m in MODULES}
    parent = ref.module.rsplit(".", 1)[0]
    return ref.module not in known and parent in known and parent != ref.module


def _checked_refs(module: Module) -> list[ImportRef]:
    """The imports to judge, once each per line."""
    refs: dict[ImportRef, None] = {}
    for ref in imports_of(module):
        if _from_import_names(ref):
            continue  # ``from cloudlet.errors import BadRequestError``: the module is checked
        if not _is_cloudlet(ref.module) and not is_stdlib(ref.module):
            # third-party dotted names are judged by their top-level package
            ref = ImportRef(_top(ref.module), ref.line)
        refs.setdefault(ref, None)
    return list(refs)


# --------------------------------------------------------------------------- the rules

Rule = Callable[[str], bool]


def _pure(own: tuple[str, ...]) -> Rule:
    return lambda name: is_stdlib(name) or within(name, *own)


def _imaging(name: str) -> bool:
    return (
        is_stdlib(name)
        or _top(name) in IMAGING_LIBS
        or within(name, "cloudlet.imaging", "cloudlet.transform", "cloudlet.errors")
    )


def _backend(own: str, *pure: str) -> Rule:
    def allowed(name: str) -> bool:
        if not _is_cloudlet(name):
            return True  # standard library or a third-party library
        return within(name, own, "cloudlet.errors", "cloudlet.settings", *pure)

    return allowed


def _services(name: str) -> bool:
    if _top(name) in WEB_LIBS:
        return False
    return not within(name, "cloudlet.web", "cloudlet.cli", "cloudlet.app", "cloudlet.ui")


def _ui(name: str) -> bool:
    """The Media Explorer's own code (calls, snippets, templates) sits under web: no HTTP types."""
    if _top(name) in WEB_LIBS:
        return False
    return not within(name, "cloudlet.web", "cloudlet.cli", "cloudlet.app")


# package → (what may be imported, what the rule says)
RULES: dict[str, tuple[Rule, str]] = {
    # delivery may use the (equally pure) transformation model; transform uses nothing else
    "cloudlet.transform": (_pure(("cloudlet.transform",)), "standard library only"),
    "cloudlet.delivery": (
        _pure(("cloudlet.delivery", "cloudlet.transform")),
        "standard library (and cloudlet.transform) only",
    ),
    "cloudlet.imaging": (
        _imaging,
        "stdlib, pyvips, av, numpy, cv2, cloudlet.transform, cloudlet.errors only",
    ),
    # the search language (pure) is what the catalog compiles to SQL
    "cloudlet.search": (_pure(("cloudlet.search",)), "standard library only"),
    "cloudlet.catalog": (
        _backend("cloudlet.catalog", "cloudlet.search"),
        "only cloudlet.errors/settings and the pure cloudlet.search",
    ),
    "cloudlet.storage": (_backend("cloudlet.storage"), "only cloudlet.errors/settings"),
    # shared-memory counters, imported by the web layer and the composition root
    "cloudlet.metrics": (_pure(("cloudlet.metrics",)), "standard library only"),
    "cloudlet.cdn": (_backend("cloudlet.cdn"), "only cloudlet.errors/settings"),
    "cloudlet.services": (_services, "no Starlette/uvicorn and no web, cli, ui or app"),
    "cloudlet.ui": (_ui, "no Starlette/uvicorn and no web, cli or app"),
}


def violations(package: str, rule: Rule) -> list[str]:
    found = []
    for module in MODULES:
        if not within(module.name, package):
            continue
        for ref in _checked_refs(module):
            if not rule(ref.module):
                found.append(f"{module.relpath}:{ref.line} imports {ref.module}")
    return found


def test_the_packages_the_rules_name_exist() -> None:
    names = {m.name for m in MODULES}
    for package in RULES:
        assert package in names, f"{package} is gone: update ARCHITECTURE.md and this test"


@pytest.mark.parametrize("package", sorted(RULES))
def test_import_rules(package: str) -> None:
    rule, text = RULES[package]
    found = violations(package, rule)
    assert not found, f"{package} may import {text}:\n" + "\n".join(found)


def _may_name_backends(module: Module) -> bool:
    return module.name == "cloudlet.app" or within(module.name, *BACKEND_PACKAGES)


def _concrete_backend(name: str) -> bool:
    """Whether an imported name is a concrete backend (anything in a backend package but
    the package itself and its interface module)."""
    return any(
        within(name, package) and not (name == package or within(name, interface))
        for package, interface in BACKEND_PACKAGES.items()
    )


def concrete_backend_imports(modules: list[Module]) -> list[str]:
    """Imports of a concrete backend (anything in cloudlet.storage or cloudlet.cdn but their
    interfaces)."""
    found = []
    for module in modules:
        if _may_name_backends(module):
            continue
        for ref in imports_of(module):
            if _concrete_backend(ref.module):
                found.append(f"{module.relpath}:{ref.line} imports {ref.module}")
    return found


def _annotations(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            yield node.returns


def _identifiers(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id, node.lineno
        elif isinstance(node, ast.Attribute):
            yield node.attr, node.lineno
        elif isinstance(node, ast.ImportFrom | ast.Import):
            for alias in node.names:
                yield alias.name.rsplit(".", 1)[-1], node.lineno
        elif isinstance(node, ast.ClassDef):
            yield node.name, node.lineno
    for annotation in _annotations(tree):
        # string annotations ("LocalStorage | None") name the class too
        for node in ast.walk(annotation):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for name, _ in _identifiers(ast.parse(node.value, mode="eval")):
                    yield name, node.lineno


def concrete_backend_names(modules: list[Module]) -> list[str]:
    """Places outside app.py and cloudlet.storage that name a ``<Backend>Storage`` class."""
    found = []
    for module in modules:
        if _may_name_backends(module):
            continue
        for name, line in _identifiers(module.tree):
            if name not in ROLES and CONCRETE_STORAGE.match(name):
                found.append(f"{module.relpath}:{line} names {name}")
    return found


def test_only_the_composition_root_imports_concrete_backends() -> None:
    found = concrete_backend_imports(MODULES)
    assert not found, "only cloudlet/app.py may import concrete backends:\n" + "\n".join(found)


def test_concrete_storage_classes_are_named_only_in_app_and_storage() -> None:
    found = concrete_backend_names(MODULES)
    assert not found, "concrete backends are named only in cloudlet/app.py:\n" + "\n".join(found)


def test_app_is_where_local_storage_is_wired() -> None:
    """The rule above would pass vacuously if nothing named LocalStorage at all."""
    app = next(m for m in MODULES if m.name == "cloudlet.app")
    assert any(ref.module == "cloudlet.storage.local" for ref in imports_of(app))
    assert any(ref.module == "cloudlet.cdn.varnish" for ref in imports_of(app))


def _source_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix in SOURCE_SUFFIXES)


def test_source_files_stay_under_600_lines() -> None:
    long = []
    for path in _source_files():
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count >= MAX_LINES:
            long.append(f"{path.relative_to(SRC.parent)}: {count} lines")
    assert not long, f"split these files (limit {MAX_LINES} lines):\n" + "\n".join(long)


# ------------------------------------------------------------- the checker itself


def _fake(name: str, source: str, filename: str = "mod.py") -> Module:
    return Module(name, PACKAGE / filename, ast.parse(source))


CHECKER_CASES = [
    # (package, module name, source, expected offending imports)
    ("cloudlet.transform", "cloudlet.transform.parse", "import re\nimport json", []),
    ("cloudlet.transform", "cloudlet.transform.parse", "import pyvips", ["pyvips"]),
    (
        "cloudlet.transform",
        "cloudlet.transform.parse",
        "from cloudlet.delivery import url",
        ["cloudlet.delivery", "cloudlet.delivery.url"],
    ),
    ("cloudlet.transform", "cloudlet.transform.parse", "from . import model", []),
    (
        "cloudlet.transform",
        "cloudlet.transform.parse",
        "from ..errors import BadRequestError",
        ["cloudlet.errors"],
    ),
    ("cloudlet.delivery", "cloudlet.delivery.url", "from cloudlet.transform import model", []),
    ("cloudlet.delivery", "cloudlet.delivery.url", "import httpx", ["httpx"]),
    ("cloudlet.imaging", "cloudlet.imaging.pipeline", "import pyvips\nimport cv2", []),
    ("cloudlet.imaging", "cloudlet.imaging.pipeline", "import PIL.Image", ["PIL"]),
    (
        "cloudlet.imaging",
        "cloudlet.imaging.pipeline",
        "from cloudlet.services.deps import Deps",
        ["cloudlet.services.deps"],
    ),
    ("cloudlet.catalog", "cloudlet.catalog.db", "import sqlalchemy.engine", []),
    (
        "cloudlet.catalog",
        "cloudlet.catalog.db",
        "from cloudlet.services import ids",
        ["cloudlet.services", "cloudlet.services.ids"],
    ),
    ("cloudlet.storage", "cloudlet.storage.s3", "from cloudlet.settings import Settings", []),
    (
        "cloudlet.services",
        "cloudlet.services.upload",
        "def f():\n    from starlette.requests import Request\n",
        ["starlette"],
    ),
    ("cloudlet.services", "cloudlet.services.upload", "import uvicorn", ["uvicorn"]),
    (
        "cloudlet.services",
        "cloudlet.services.upload",
        "from cloudlet.web.params import Params",
        ["cloudlet.web.params"],
    ),
    ("cloudlet.services", "cloudlet.services.upload", "from cloudlet import app", ["cloudlet.app"]),
    ("cloudlet.services", "cloudlet.services.upload", "import httpx", []),
    ("cloudlet.ui", "cloudlet.ui.snippets", "from cloudlet.services import manage", []),
    ("cloudlet.ui", "cloudlet.ui.perform", "import starlette.requests", ["starlette"]),
    (
        "cloudlet.ui",
        "cloudlet.ui.perform",
        "from cloudlet.web.context import deps_of",
        ["cloudlet.web.context"],
    ),
]


@pytest.mark.parametrize(("package", "name", "source", "expected"), CHECKER_CASES)
def test_checker_finds_offending_imports(
    package: str, name: str, source: str, expected: list[str]
) -> None:
    rule, _ = RULES[package]
    module = _fake(name, source)
    bad = [ref.module for ref in _checked_refs(module) if not rule(ref.module)]
    assert bad == expected


def test_checker_resolves_relative_imports_in_packages() -> None:
    module = _fake("cloudlet.services", "from ..web import params", "__init__.py")
    assert [ref.module for ref in imports_of(module)] == ["cloudlet.web", "cloudlet.web.params"]


BACKEND_CASES = [
    # (module name, source, offending imports, offending names)
    ("cloudlet.services.upload", "from cloudlet.storage.base import Storage", [], []),
    ("cloudlet.services.upload", "from cloudlet.storage import base", [], []),
    (
        "cloudlet.services.upload",
        "from cloudlet.storage.local import LocalStorage as LS",
        ["cloudlet.storage.local", "cloudlet.storage.local.LocalStorage"],
        ["LocalStorage"],
    ),
    (
        "cloudlet.web.delivery",
        "import cloudlet.storage.s3\ny = cloudlet.storage.s3.S3Storage",
        ["cloudlet.storage.s3"],
        ["S3Storage"],
    ),
    ("cloudlet.web.delivery", "def f(s: 'LocalStorage | None') -> None: ...", [], ["LocalStorage"]),
    ("cloudlet.web.delivery", "def f() -> 'S3Storage': ...", [], ["S3Storage"]),
    ("cloudlet.web.delivery", '"""Works with LocalStorage and S3Storage alike."""', [], []),
    ("cloudlet.app", "from cloudlet.storage.local import LocalStorage", [], []),
    ("cloudlet.services.invalidation", "from cloudlet.cdn.base import Invalidator", [], []),
    (
        "cloudlet.services.invalidation",
        "from cloudlet.cdn.varnish import VarnishInvalidator",
        ["cloudlet.cdn.varnish", "cloudlet.cdn.varnish.VarnishInvalidator"],
        ["VarnishInvalidator"],
    ),
    ("cloudlet.app", "from cloudlet.cdn.nginx import NginxInvalidator", [], []),
    ("cloudlet.storage.s3", "class S3Storage(Storage): ...", [], []),
]


@pytest.mark.parametrize(("name", "source", "imports", "names"), BACKEND_CASES)
def test_backend_checks_find_concrete_backends(
    name: str, source: str, imports: list[str], names: list[str]
) -> None:
    module = _fake(name, source)
    assert [line.rsplit(" ", 1)[-1] for line in concrete_backend_imports([module])] == imports
    assert [line.rsplit(" ", 1)[-1] for line in concrete_backend_names([module])] == names
