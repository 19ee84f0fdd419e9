"""The deployment files in deploy/ are checked here, since Docker and Kubernetes do not run on
these machines: every YAML parses; the compose file validates against the Compose
specification's schema (bundled by check-jsonschema) and the Kubernetes manifests against the
Kubernetes schemas (bundled by kubernetes-validate), both offline; every ``CLOUDLET_*`` name
is a setting Cloudlet reads; every ``cloudlet`` command exists; probes name real routes and
ports; files and objects referred to exist; the compose set-up's VCL is the shipped VCL with
only its backend and purge ACL changed, and compiles.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from tests.test_docs import ENV_NAME, SETTINGS_ENV

from cloudlet.app import app_routes
from cloudlet.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
COMPOSE_VCL = DEPLOY / "compose" / "varnish.vcl"
SHIPPED_VCL = DEPLOY / "varnish" / "cloudlet.vcl"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
KUBERNETES_VERSION = "1.30.0"
COMPOSE_NODES = ("cloudlet1", "cloudlet2")
WORKER_ADDRESS = "172.28.0.20"  # compose.yaml gives the worker this address
# What else a deploy file may set: AWS credentials for boto3 (docs/storage.md)
OTHER_ENV = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def yaml_files() -> list[Path]:
    return sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml"))


def k8s_objects() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                yield path, doc


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def route_paths() -> set[str]:
    return {getattr(route, "path", "") for route in app_routes()}


# ------------------------------------------------------------------------------ everywhere


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    assert docs and all(isinstance(d, dict) for d in docs)


def test_there_is_something_to_check() -> None:
    assert COMPOSE.is_file() and DOCKERFILE.is_file() and len(list(K8S.glob("*.yaml"))) >= 6


def test_every_cloudlet_variable_in_deploy_is_a_real_setting() -> None:
    used = {
        name
        for path in DEPLOY.rglob("*")
        if path.is_file()
        for name in ENV_NAME.findall(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert {"CLOUDLET_DATABASE_URL", "CLOUDLET_STORAGE_URL", "CLOUDLET_QUEUE_URL"} <= used
    assert used - set(SETTINGS_ENV) == set()


def _environment_names(environment: Any) -> set[str]:
    if isinstance(environment, dict):
        return set(environment)
    return {item.split("=", 1)[0] for item in environment or []}


def test_deploy_sets_only_variables_something_reads() -> None:
    names = set()
    for service in compose()["services"].values():
        names |= _environment_names(service.get("environment"))
    for _, obj in k8s_objects():
        if obj["kind"] in ("ConfigMap", "Secret"):
            names |= set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    cloudlet = {n for n in names if n.startswith("CLOUDLET_")}
    assert cloudlet - set(SETTINGS_ENV) == set()
    others = names - cloudlet
    # the other services' own variables (PostgreSQL, MinIO, the Varnish image)
    assert all(n in OTHER_ENV or n.startswith(("POSTGRES_", "MINIO_", "VARNISH_")) for n in others)


def _cloudlet_commands(command: list[str]) -> list[str] | None:
    """The subcommand (and its options) of a ``cloudlet …`` command line, else None."""
    return command[1:] if command and command[0] == "cloudlet" else None


def _assert_real_command(args: list[str]) -> None:
    assert args, "cloudlet without a subcommand"
    found = cli.commands.get(args[0])
    assert found is not None, f"no `cloudlet {args[0]}` command"
    options = {opt for param in found.params for opt in getattr(param, "opts", [])}
    for arg in args[1:]:
        if arg.startswith("--"):
            assert arg in options, f"`cloudlet {args[0]}` has no {arg}"


# ----------------------------------------------------------------------------- Dockerfile


def test_dockerfile_copies_what_exists_and_runs_a_real_command() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert text.count("FROM ") == 1
    for line in text.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
        if line.startswith("CMD "):
            args = _cloudlet_commands(json.loads(line[4:]))
            assert args is not None
            _assert_real_command(args)
    assert "EXPOSE 8000" in text and "CLOUDLET_PORT=8000" in text


# -------------------------------------------------------------------------------- compose


def compose_schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor")
    loaded: dict[str, Any] = json.loads((vendored / "compose-spec.json").read_text("utf-8"))
    return loaded


def test_compose_file_follows_the_compose_specification() -> None:
    validator = jsonschema.Draft7Validator(compose_schema())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []


def test_the_schema_check_can_fail() -> None:
    broken = {**compose(), "services": {"x": {"image": "a", "ports": "8080:80"}}}
    assert list(jsonschema.Draft7Validator(compose_schema()).iter_errors(broken))


def test_compose_services_refer_to_what_exists() -> None:
    services = compose()["services"]
    volumes = set(compose().get("volumes") or {})
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        image = service.get("image", "")
        assert image == "cloudlet:latest" or ":" in image, f"{name}: pin a tag"
        if "build" in service:
            context = COMPOSE.parent / service["build"]["context"]
            assert (context / service["build"]["dockerfile"]) == DOCKERFILE.resolve() or (
                (context / service["build"]["dockerfile"]).resolve() == DOCKERFILE.resolve()
            )
        for dependency in service.get("depends_on") or {}:
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), f"{name}: {source}"
            else:
                assert source in volumes, f"{name}: undeclared volume {source}"
        args = _cloudlet_commands(service.get("command") or [])
        if args is not None:
            _assert_real_command(args)


def test_compose_runs_the_nodes_a_worker_and_the_migration() -> None:
    services = compose()["services"]
    commands = {name: s.get("command") for name, s in services.items()}
    assert all(commands[node] == ["cloudlet", "serve"] for node in COMPOSE_NODES)
    assert commands["worker"][:2] == ["cloudlet", "worker"]
    assert commands["migrate"] == ["cloudlet", "migrate"]
    for node in (*COMPOSE_NODES, "worker"):
        assert services[node]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    env = services["cloudlet1"]["environment"]
    assert env["CLOUDLET_DATABASE_URL"].startswith("postgresql://")
    assert env["CLOUDLET_STORAGE_URL"].startswith("s3://")
    assert env["CLOUDLET_QUEUE_URL"].startswith("redis://")
    assert env["CLOUDLET_CDN_URLS"] == "http://varnish:80"
    healthcheck = " ".join(services["cloudlet1"]["healthcheck"]["test"])
    assert "/readyz" in healthcheck and "/readyz" in route_paths()
    address = services["worker"]["networks"]["default"]["ipv4_address"]
    assert address == WORKER_ADDRESS


# ---------------------------------------------------------------------------- compose VCL


def compose_vcl(shipped: str) -> str:
    """The compose set-up's VCL from the shipped one: a round-robin director over the nodes
    (with /readyz probes) instead of the one backend, and the worker as the only purger."""
    backends = "".join(
        f'backend {node} {{\n    .host = "{node}";\n    .port = "8000";\n'
        f'    .probe = {{\n        .url = "/readyz";\n        .interval = 5s;\n'
        f"        .timeout = 2s;\n        .window = 5;\n        .threshold = 3;\n    }}\n}}\n\n"
        for node in COMPOSE_NODES
    )
    director = (
        "sub vcl_init {\n    new nodes = directors.round_robin();\n"
        + "".join(f"    nodes.add_backend({node});\n" for node in COMPOSE_NODES)
        + "}\n\n# Runs before the shipped vcl_recv below (Varnish joins subroutines of one"
        " name).\nsub vcl_recv {\n    set req.backend_hint = nodes.backend();\n}\n"
    )
    backend = re.search(r"backend cloudlet \{.*?\n\}\n", shipped, re.S)
    assert backend is not None
    text = shipped.replace(backend.group(0), backends + director)
    text = text.replace("import std;\n", "import directors;\nimport std;\n")
    purgers = '    "127.0.0.1";\n    "::1";\n'
    assert purgers in text
    text = text.replace(purgers, f'    "{WORKER_ADDRESS}";  # the worker (compose.yaml)\n')
    header_end = text.index("vcl 4.1;")
    header = (
        "# deploy/varnish/cloudlet.vcl for deploy/compose/compose.yaml, made by\n"
        "# tests/test_deploy.py:compose_vcl (which checks this file is still exactly that):\n"
        "# a round-robin director over the nodes instead of one backend, and the worker, which\n"
        "# runs the CDN invalidation jobs, as the only address allowed to purge.\n"
    )
    return header + text[header_end:]


def test_compose_vcl_is_the_shipped_vcl_with_its_backend_and_acl_changed() -> None:
    expected = compose_vcl(SHIPPED_VCL.read_text(encoding="utf-8"))
    assert COMPOSE_VCL.read_text(encoding="utf-8") == expected, (
        "regenerate: python -c 'from tests.test_deploy import write_compose_vcl as w; w()'"
    )


def write_compose_vcl() -> None:
    """Rewrite deploy/compose/varnish.vcl from the shipped VCL."""
    COMPOSE_VCL.write_text(compose_vcl(SHIPPED_VCL.read_text(encoding="utf-8")), "utf-8")


def test_compose_vcl_compiles() -> None:
    """varnishd compiles it (the node names resolved to loopback, as compose's DNS would
    resolve them to the nodes)."""
    from tests.cdn.caches import VARNISHD, ensure_varnish

    ensure_varnish()
    text = COMPOSE_VCL.read_text(encoding="utf-8")
    for node in COMPOSE_NODES:
        text = text.replace(f'.host = "{node}";', '.host = "127.0.0.1";')
    with tempfile.TemporaryDirectory() as work:
        Path(work).chmod(0o755)  # varnishd reads it as its own unprivileged user
        vcl = Path(work) / "compose.vcl"
        vcl.write_text(text, encoding="utf-8")
        vcl.chmod(0o644)
        done = subprocess.run(
            [str(VARNISHD), "-C", "-f", str(vcl), "-n", str(Path(work) / "n")],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]


# ----------------------------------------------------------------------------- Kubernetes


def test_k8s_objects_have_api_version_kind_and_name() -> None:
    kinds = set()
    for path, obj in k8s_objects():
        assert {"apiVersion", "kind", "metadata"} <= set(obj), path
        assert obj["metadata"].get("name") or obj["kind"] == "Kustomization", path
        kinds.add(obj["kind"])
    expected = {"Deployment", "Service", "ConfigMap", "Secret", "Job", "HorizontalPodAutoscaler"}
    assert expected <= kinds


@pytest.mark.parametrize(
    "obj",
    [obj for _, obj in k8s_objects() if obj["kind"] != "Kustomization"],
    ids=lambda o: f"{o['kind']}-{o['metadata']['name']}",
)
def test_k8s_object_matches_the_kubernetes_schema(obj: dict[str, Any]) -> None:
    import kubernetes_validate

    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_kubernetes_schema_check_can_fail() -> None:
    import kubernetes_validate

    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"replicas": "three"}}  # fmt: skip
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    found: list[dict[str, Any]] = spec.get("containers", [])
    return found


def test_k8s_probes_point_at_real_routes_and_ports() -> None:
    server = next(o for _, o in k8s_objects() if o["metadata"]["name"] == "cloudlet"
                  and o["kind"] == "Deployment")  # fmt: skip
    (container,) = _containers(server)
    ports = {p["name"] for p in container["ports"]}
    probes = {kind: container[kind]["httpGet"] for kind in ("readinessProbe", "livenessProbe")}
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert probes["livenessProbe"]["path"] == "/healthz"
    for probe in probes.values():
        assert probe["path"] in route_paths()
        assert probe["port"] in ports or probe["port"] == 8000


def test_k8s_objects_refer_to_each_other() -> None:
    objects = {(o["kind"], o["metadata"].get("name")): o for _, o in k8s_objects()}
    workloads = [o for o in objects.values() if o["kind"] in ("Deployment", "Job")]
    for workload in workloads:
        for container in _containers(workload):
            args = _cloudlet_commands(container.get("command") or [])
            assert args is not None
            _assert_real_command(args)
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in objects
                if "secretRef" in source:
                    assert ("Secret", source["secretRef"]["name"]) in objects
    service = objects[("Service", "cloudlet")]
    server = objects[("Deployment", "cloudlet")]
    labels = server["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    target = objects[("HorizontalPodAutoscaler", "cloudlet")]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) in objects
    worker = objects[("Deployment", "cloudlet-worker")]
    assert _containers(worker)[0]["command"][:2] == ["cloudlet", "worker"]
    assert not service["spec"]["selector"].items() <= (
        worker["spec"]["template"]["metadata"]["labels"].items()
    )  # the Service sends no request to a worker


def test_kustomization_lists_every_manifest() -> None:
    kustomization = next(o for _, o in k8s_objects() if o["kind"] == "Kustomization")
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present
