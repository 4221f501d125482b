"""infra/ without a Docker engine or a cluster: each file against the schema its own tool uses.

- Compose files: the Compose Specification's JSON schema (as shipped in check-jsonschema), and
  `docker compose config` itself where the Compose plugin is installed.
- Kubernetes: the work-pool templates through Prefect's own work-pool validation, then rendered
  the way the Kubernetes worker renders them and checked, like the plain manifests, against the
  Kubernetes API's strict schemas (kubernetes-validate: unknown fields are errors).
- What no schema sees: versions that must agree across files, variables that must be defined,
  every environment variable handed to our image being one that something reads.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from flows.runtime import OFFLINE_DEFAULTS

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
K8S = INFRA / "k8s"
COMPOSE = INFRA / "docker-compose.yml"
COMPOSE_FILES = [COMPOSE, INFRA / "docker-compose.gpu.yml"]
ENV_EXAMPLE = INFRA / ".env.example"
TEMPLATES = [K8S / "base-job-template.json", K8S / "base-job-template-gpu.json"]
KUBERNETES_VERSION = "1.33"  # the oldest API the manifests must be valid for
IMAGE = "registry.example.com/tandem:0.1.0"

# Variables our image receives that no module of ours reads, each with who reads it. Checked
# against the library where it exposes its settings; a stale entry fails the test too.
LIBRARY_READ = {
    "PREFECT_API_URL": "prefect: the API `tandem serve` registers with and flow runs report to",
    "PREFECT_RUNNER_SERVER_ENABLE": "prefect: the runner's /health endpoint (compose healthcheck)",
}

# Each service's own telemetry switch.
TELEMETRY_OFF = {
    "prefect-server": {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"},
    "mlflow": {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"},
    "minio": {"DO_NOT_TRACK": "1", "MINIO_UPDATE": "off", "MINIO_CALLHOME_ENABLE": "off"},
    "qdrant": {"QDRANT__TELEMETRY_DISABLED": "true"},
    "qdrant-node-1": {"QDRANT__TELEMETRY_DISABLED": "true"},
    "qdrant-node-2": {"QDRANT__TELEMETRY_DISABLED": "true"},
    "qdrant-node-3": {"QDRANT__TELEMETRY_DISABLED": "true"},
    "worker": {
        "DO_NOT_TRACK": "1",
        "HF_HUB_OFFLINE": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DVC_NO_ANALYTICS": "1",
    },
}

INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


# --------------------------------------------------------------------------- helpers


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def compose() -> dict[str, Any]:
    return dict(load_yaml(COMPOSE))


def service(name: str) -> dict[str, Any]:
    return dict(compose()["services"][name])


def environment(svc: dict[str, Any]) -> dict[str, str | None]:
    """A service's `environment:`, mapping or list form."""
    env = svc.get("environment") or {}
    if isinstance(env, dict):
        return {k: None if v is None else str(v) for k, v in env.items()}
    pairs = (item.partition("=") for item in env)
    return {k: v if sep else None for k, sep, v in pairs}


def env_example() -> dict[str, str]:
    pairs = (line.partition("=") for line in ENV_EXAMPLE.read_text().splitlines())
    return {k.strip(): v.strip() for k, sep, v in pairs if sep and not k.lstrip().startswith("#")}


def requirement(name: str) -> str:
    """The pinned version of a package in constraints.txt."""
    match = re.search(
        rf"^{re.escape(name)}==(\S+)$", (REPO / "constraints.txt").read_text(), re.M | re.I
    )
    assert match, f"{name} is not pinned in constraints.txt"
    return match.group(1)


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    pairs = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(p[0].upper(), p[1] if len(p) > 1 else "") for p in pairs]


def code_env_reads() -> set[str]:
    """Variable names our modules read from or set into the environment."""
    pattern = re.compile(
        r"""(?:os\.environ\.(?:get|setdefault|pop)\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
    )
    names: set[str] = set()
    for root in ("tasks", "flows"):
        for path in (REPO / root).rglob("*.py"):
            names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names | set(OFFLINE_DEFAULTS)


def k8s_documents(path: Path) -> Iterator[dict[str, Any]]:
    yield from (doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc)


def manifest_files() -> list[Path]:
    """YAML files under infra/k8s that are Kubernetes objects (not Helm values)."""
    return sorted(p for p in K8S.glob("*.yaml") if not p.name.endswith("-values.yaml"))


def validate_k8s(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def pod_with(**spec: Any) -> dict[str, Any]:
    """A Pod around Kubernetes-shaped fragments of Helm values, to validate them strictly."""
    containers = [{"name": "c", "image": "i", **spec.pop("container", {})}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": containers, **spec}}  # fmt: skip


def render_job(template: dict[str, Any], **job_variables: Any) -> dict[str, Any]:
    """The Job a Kubernetes worker would submit for a flow run, from the pool's base template.

    Prefect fills the placeholders from the variable defaults updated by the deployment's job
    variables (dropping keys whose variable is unset); the worker then turns `env` into a list,
    sets the command as container args and names the Job.
    """
    from prefect.utilities.templating import apply_values

    properties = template["variables"]["properties"]
    values = {k: p["default"] for k, p in properties.items() if "default" in p}
    values.update(name="tandem-finetune-abc12", labels={"prefect.io/flow-run-id": "abc12"})
    values.update(job_variables)
    jsonschema.Draft7Validator(template["variables"]).validate(values)
    config = apply_values(template["job_configuration"], values)
    manifest = json.loads(json.dumps(config["job_manifest"]))
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": k, "value": v} for k, v in (container.get("env") or {}).items()]
    container.setdefault("args", shlex.split("prefect flow-run execute"))
    return dict(manifest)


# --------------------------------------------------------------------------- compose


@cache
def compose_spec() -> dict[str, Any]:
    """The Compose Specification's JSON schema, as vendored in check-jsonschema."""
    from check_jsonschema.builtin_schemas import get_builtin_schema

    return dict(get_builtin_schema("vendor.compose-spec"))


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_files_match_the_compose_specification(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(compose_spec())
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(load_yaml(path))
    ]
    assert errors == []


def test_compose_schema_rejects_a_misspelled_key() -> None:
    """The check above is strict enough to matter: services allow no unknown keys."""
    broken = json.loads(json.dumps(compose()))
    broken["services"]["worker"]["enviroment"] = broken["services"]["worker"].pop("environment")
    assert not jsonschema.Draft202012Validator(compose_spec()).is_valid(broken)


def docker_compose() -> list[str] | None:
    """The `docker compose` command where the plugin is installed (no engine needed for config)."""
    if shutil.which("docker") is None:
        return None
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, check=False
    )
    return ["docker", "compose"] if probe.returncode == 0 else None


@pytest.mark.parametrize(
    "profile, files",
    [("single", [COMPOSE]), ("cluster", [COMPOSE]), ("single", COMPOSE_FILES)],
    ids=["single", "cluster", "gpu"],
)
def test_docker_compose_config_accepts_the_stack(profile: str, files: list[Path]) -> None:
    command = docker_compose()
    if command is None:
        pytest.skip("the docker compose plugin is not installed (the schema test still ran)")
    args = [*command, *(a for f in files for a in ("-f", str(f)))]
    args += ["--env-file", str(ENV_EXAMPLE), "--profile", profile, "config", "--quiet"]
    result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr


def test_every_interpolated_variable_is_documented_in_env_example() -> None:
    operators: dict[str, set[str]] = {}
    for path in COMPOSE_FILES:
        for name, operator, _ in INTERPOLATION.findall(path.read_text(encoding="utf-8")):
            operators.setdefault(name, set()).add(operator)
    example = env_example()
    assert sorted(set(operators) - set(example)) == [], "add these to infra/.env.example"
    unused = set(example) - set(operators) - {"COMPOSE_PROFILES"}
    assert sorted(unused) == [], "infra/.env.example sets variables no compose file uses"
    required = {name for name, ops in operators.items() if ops & {"?", ":?"}}
    assert required >= {"PREFECT_DB_PASSWORD", "MLFLOW_DB_PASSWORD", "QDRANT_API_KEY"}
    assert example["COMPOSE_PROFILES"] in {"single", "cluster"}


def test_env_file_with_secrets_is_gitignored() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", "infra/.env"], cwd=REPO, check=False
    )
    assert result.returncode == 0, "infra/.env must be gitignored"


def test_services_have_healthchecks_that_dependants_wait_for() -> None:
    services = compose()["services"]
    assert sorted(n for n, s in services.items() if "healthcheck" not in s) == []
    for name, svc in services.items():
        for dependency, condition in (svc.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert condition["condition"] == "service_healthy", f"{name} -> {dependency}"
    assert set(service("worker")["depends_on"]) == {"prefect-server", "mlflow"}


@pytest.mark.parametrize("name", sorted(TELEMETRY_OFF))
def test_telemetry_is_off_in_every_service(name: str) -> None:
    env = environment(service(name))
    assert {k: env.get(k) for k in TELEMETRY_OFF[name]} == TELEMETRY_OFF[name]


def test_qdrant_runs_single_or_as_a_cluster_behind_one_address() -> None:
    services = compose()["services"]
    qdrant = {n: s for n, s in services.items() if s.get("image", "").startswith("qdrant/")}
    assert {n: s["profiles"] for n, s in qdrant.items()} == {
        "qdrant": ["single"],
        "qdrant-node-1": ["cluster"],
        "qdrant-node-2": ["cluster"],
        "qdrant-node-3": ["cluster"],
    }
    assert services["qdrant-node-1"]["networks"]["default"]["aliases"] == ["qdrant"]
    assert environment(service("worker"))["QDRANT_URL"] == "http://qdrant:6333"
    first = "http://qdrant-node-1:6335"
    assert services["qdrant-node-1"]["command"][1:] == ["--uri", first]
    for n in ("qdrant-node-2", "qdrant-node-3"):
        assert services[n]["command"][1:3] == ["--bootstrap", first]
    for n in ("qdrant-node-1", "qdrant-node-2", "qdrant-node-3"):
        env = environment(services[n])
        assert env["QDRANT__CLUSTER__ENABLED"] == "true"
        assert (
            env["QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR"]
            == "${QDRANT_REPLICATION_FACTOR:-2}"
        )
    assert env_example()["QDRANT_REPLICATION_FACTOR"] == "2"


def env_sources() -> dict[str, set[str]]:
    """Every set of variables handed to our image: compose's worker, the Kubernetes ConfigMap and
    Secret the flow-run Jobs load, and the job templates' own `env` defaults."""
    sources = {"compose worker": set(environment(service("worker")))}
    for doc in k8s_documents(K8S / "tandem-env.example.yaml"):
        sources[f"k8s {doc['kind']} {doc['metadata']['name']}"] = set(
            doc.get("data") or doc.get("stringData")
        )
    for path in TEMPLATES:
        env_var = json.loads(path.read_text())["variables"]["properties"]["env"]
        sources[path.name] = set(env_var.get("default", {}))
    return sources


def test_variables_given_to_our_image_are_read_by_the_code_or_a_library() -> None:
    import prefect.settings

    known = code_env_reads() | set(LIBRARY_READ)
    unread = {
        where: sorted(names - known) for where, names in env_sources().items() if names - known
    }
    assert unread == {}, "nothing reads these; remove them or add the reader to LIBRARY_READ"
    handed = set().union(*env_sources().values())
    assert sorted(set(LIBRARY_READ) - handed) == [], "stale LIBRARY_READ entries"
    for name, reader in LIBRARY_READ.items():
        if reader.startswith("prefect:"):
            assert hasattr(prefect.settings, name), f"prefect has no setting {name}"


def test_the_wiring_variables_reach_the_flows() -> None:
    for where, names in env_sources().items():
        if where in ("compose worker", "k8s ConfigMap tandem-env"):
            assert {"QDRANT_URL", "MLFLOW_TRACKING_URI"} <= names, where
    assert "QDRANT_API_KEY" in env_sources()["k8s Secret tandem-secrets"]
    assert "MLFLOW_S3_ENDPOINT_URL" not in environment(service("worker")), (
        "artifacts are proxied by the MLflow server; the flows need no object-store access"
    )


# --------------------------------------------------------------------------- images


DOCKERFILES = {
    INFRA / "Dockerfile": INFRA / "Dockerfile.dockerignore",
    INFRA / "mlflow" / "Dockerfile": INFRA / "mlflow" / "Dockerfile.dockerignore",
}


@pytest.mark.parametrize("dockerfile", sorted(DOCKERFILES), ids=lambda p: str(p.relative_to(REPO)))
def test_dockerfile_copies_files_the_context_allows(dockerfile: Path) -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in DOCKERFILES[dockerfile].read_text().splitlines()
        if line.startswith("!")
    }
    for instruction, args in dockerfile_instructions(dockerfile):
        if instruction != "COPY" or "--from" in args:
            continue
        *sources, _ = shlex.split(args)
        for source in sources:
            assert (REPO / source).exists(), f"{dockerfile.name}: COPY {source}: no such path"
            assert source.rstrip("/") in allowed, f"{source} is excluded from the build context"


def test_compose_builds_point_at_the_dockerfiles() -> None:
    for name in ("worker", "mlflow"):
        build = service(name)["build"]
        dockerfile = (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve()
        assert dockerfile in DOCKERFILES, name


def arg_default(dockerfile: Path, name: str) -> str:
    for instruction, args in dockerfile_instructions(dockerfile):
        if instruction == "ARG" and args.startswith(f"{name}="):
            return args.partition("=")[2]
    raise AssertionError(f"{dockerfile.name} has no ARG {name}=default")


def test_torch_build_matches_the_makefile() -> None:
    makefile = re.search(r"^TORCH_SPEC \?= torch==(\S+)", (REPO / "Makefile").read_text(), re.M)
    assert makefile
    version = arg_default(INFRA / "Dockerfile", "TORCH_VERSION")
    assert version == makefile.group(1) == env_example()["TORCH_VERSION"]
    assert service("worker")["build"]["args"]["TORCH_VERSION"] == f"${{TORCH_VERSION:-{version}}}"
    cpu_index = arg_default(INFRA / "Dockerfile", "TORCH_INDEX_URL")
    assert cpu_index == "https://download.pytorch.org/whl/cpu" == env_example()["TORCH_INDEX_URL"]


def test_image_environment_repeats_what_the_cli_sets() -> None:
    """Flow-run Jobs start with `prefect flow-run execute`, not through the CLI's main()."""
    env: dict[str, str] = {}
    for instruction, args in dockerfile_instructions(INFRA / "Dockerfile"):
        if instruction == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(args))
    assert {k: env.get(k) for k in OFFLINE_DEFAULTS} == OFFLINE_DEFAULTS


def image_tag(image: str) -> str:
    return image.rpartition(":")[2]


def test_server_versions_match_the_pinned_clients() -> None:
    prefect = requirement("prefect")
    prefect_tags = {
        image_tag(service("prefect-server")["image"]),
        helm_values("prefect-server")["global"]["prefect"]["image"]["prefectTag"],
        helm_values("prefect-worker")["worker"]["image"]["prefectTag"],
        helm_values("prefect-worker-gpu")["worker"]["image"]["prefectTag"],
    }
    assert {tag.split("-")[0] for tag in prefect_tags} == {prefect}
    mlflow = requirement("mlflow")
    assert f'"mlflow=={mlflow}"' in (INFRA / "mlflow" / "Dockerfile").read_text()
    assert service("mlflow")["image"] == f"tandem-mlflow:{mlflow}"
    (deployment,) = [d for d in k8s_documents(K8S / "mlflow.yaml") if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert image_tag(container["image"]) == mlflow
    client = [int(p) for p in requirement("qdrant-client").split(".")[:2]]
    qdrant_tags = {image_tag(service(n)["image"]) for n in ("qdrant", "qdrant-node-1")}
    qdrant_tags.add(helm_values("qdrant")["image"]["tag"])
    assert len(qdrant_tags) == 1, "compose and the Helm values run different Qdrant versions"
    server = [int(p) for p in qdrant_tags.pop().removeprefix("v").split(".")[:2]]
    assert server[0] == client[0] and abs(server[1] - client[1]) <= 1, (
        f"Qdrant {server} vs qdrant-client {client}: the client warns beyond one minor version"
    )


def load_ensure_bucket() -> Any:
    spec = importlib.util.spec_from_file_location(
        "ensure_bucket", INFRA / "mlflow" / "ensure_bucket.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ensure_bucket_reads_the_bucket_from_the_artifact_destination() -> None:
    bucket_of = load_ensure_bucket().bucket_of
    assert bucket_of("s3://mlflow/artifacts") == "mlflow"
    assert bucket_of("s3://mlflow") == "mlflow"
    assert bucket_of("/srv/mlartifacts") is None
    assert bucket_of("") is None
    with pytest.raises(ValueError, match="names no bucket"):
        bucket_of("s3:///artifacts")
    destination = environment(service("mlflow"))["MLFLOW_ARTIFACTS_DESTINATION"]
    assert destination == "s3://${MLFLOW_BUCKET:-mlflow}/artifacts"


# --------------------------------------------------------------------------- Kubernetes


@cache
def template(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_work_pool_template_passes_prefects_validation(path: Path) -> None:
    """What the server checks on `prefect work-pool create --base-job-template`."""
    from prefect.server.schemas.actions import WorkPoolCreate

    WorkPoolCreate(name="tandem-k8s", type="kubernetes", base_job_template=template(path))
    jsonschema.Draft7Validator.check_schema(template(path)["variables"])


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_rendered_job_is_a_valid_kubernetes_job(path: Path) -> None:
    job = render_job(template(path), image=IMAGE, env={"PREFECT__FLOW_RUN_ID": "abc12"})
    assert "{{" not in json.dumps(job), "a placeholder survived rendering"
    validate_k8s(job)
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == IMAGE
    assert [e.get("configMapRef", e.get("secretRef"))["name"] for e in container["envFrom"]] == [
        "tandem-env",
        "tandem-secrets",
    ]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts["/opt/prefect/out"] == "out"  # paths.out_dir under the image's WORKDIR
    assert pod["securityContext"]["runAsUser"] == 1000


def test_gpu_job_requests_a_gpu_on_a_gpu_node() -> None:
    job = render_job(template(TEMPLATES[1]), image=IMAGE, gpu_count="2")
    validate_k8s(job)
    pod = job["spec"]["template"]["spec"]
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["out"]["persistentVolumeClaim"]["claimName"] == "tandem-finetune-out"
    assert volumes["dshm"]["emptyDir"]["medium"] == "Memory"
    claims = [
        d
        for d in k8s_documents(K8S / "finetune-out-pvc.yaml")
        if d["kind"] == "PersistentVolumeClaim"
    ]
    assert [c["metadata"]["name"] for c in claims] == ["tandem-finetune-out"]


def test_gpu_template_is_the_cpu_template_plus_gpu_settings() -> None:
    cpu, gpu = (set(template(p)["variables"]["properties"]) for p in TEMPLATES)
    assert gpu - cpu == {"gpu_count", "node_selector", "tolerations", "out_claim", "shm_size"}
    assert cpu <= gpu


@pytest.mark.parametrize(
    "job_variables", [{}, {"image": IMAGE, "gpu_count": "0"}], ids=["no-image", "zero-gpus"]
)
def test_gpu_template_refuses_bad_job_variables(job_variables: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        render_job(template(TEMPLATES[1]), **job_variables)


def test_kubernetes_validation_rejects_a_misplaced_field() -> None:
    """The check is strict: `parallelism` belongs to the Job spec, not the pod's (Prefect's own
    default template puts it in the pod, which is why ours starts from a corrected copy)."""
    job = render_job(template(TEMPLATES[0]), image=IMAGE)
    job["spec"]["template"]["spec"]["parallelism"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_k8s(job)


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: p.name)
def test_manifests_are_valid_kubernetes_objects(path: Path) -> None:
    documents = list(k8s_documents(path))
    assert documents
    for doc in documents:
        validate_k8s(doc)
        assert doc["metadata"]["namespace"] == "tandem"


# --------------------------------------------------------------------------- Helm values


def helm_values(name: str) -> dict[str, Any]:
    return dict(load_yaml(K8S / f"{name}-values.yaml"))


def secret_keys(name: str) -> set[str]:
    docs = k8s_documents(K8S / "tandem-env.example.yaml")
    return {
        k
        for d in docs
        if d["kind"] == "Secret" and d["metadata"]["name"] == name
        for k in d["stringData"]
    }


def test_qdrant_values_make_a_replicated_cluster() -> None:
    qdrant = helm_values("qdrant")
    assert qdrant["replicaCount"] == 3
    assert qdrant["config"]["cluster"]["enabled"] is True
    collection = qdrant["config"]["storage"]["collection"]
    assert 1 <= collection["write_consistency_factor"] <= collection["replication_factor"] == 2
    assert collection["replication_factor"] <= qdrant["replicaCount"]
    assert qdrant["config"]["telemetry_disabled"] is True
    assert qdrant["persistence"]["size"] and qdrant["resources"]["requests"]["memory"]
    assert qdrant["apiKey"] is False
    (api_key,) = [e for e in qdrant["env"] if e["name"] == "QDRANT__SERVICE__API_KEY"]
    ref = api_key["valueFrom"]["secretKeyRef"]
    assert ref["key"] in secret_keys(ref["name"]), "the flows and Qdrant must share the key"
    validate_k8s(pod_with(container={"env": qdrant["env"]}, affinity=qdrant["affinity"]))


def test_prefect_values_use_an_external_postgres_and_the_pinned_image() -> None:
    server = helm_values("prefect-server")
    assert server["postgresql"]["enabled"] is False
    assert server["secret"] == {"create": False, "name": "tandem-prefect-db"}
    env = {e["name"]: e["value"] for e in server["global"]["prefect"]["env"]}
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    validate_k8s(pod_with(container={"env": server["global"]["prefect"]["env"]}))


@pytest.mark.parametrize(
    "name, pool, template_file",
    [
        ("prefect-worker", "tandem-k8s", TEMPLATES[0]),
        ("prefect-worker-gpu", "tandem-k8s-gpu", TEMPLATES[1]),
    ],
)
def test_worker_values_serve_their_pool(name: str, pool: str, template_file: Path) -> None:
    worker = helm_values(name)["worker"]
    assert worker["apiConfig"] == "server"
    assert (
        worker["serverApiConfig"]["apiUrl"]
        == "http://prefect-server.tandem.svc.cluster.local:4200/api"
    )
    assert worker["config"]["type"] == "kubernetes"
    assert worker["config"]["workPool"] == pool
    config_map = worker["config"]["baseJobTemplate"]["existingConfigMapName"]
    header = (K8S / f"{name}-values.yaml").read_text()
    assert f"create configmap {config_map}" in header and template_file.name in header


# --------------------------------------------------------------------------- docs


def test_scaling_doc_names_benchmarks_that_exist() -> None:
    doc = (REPO / "docs" / "scaling.md").read_text(encoding="utf-8")
    scripts = set(re.findall(r"python (bench/\w+\.py)", doc))
    assert scripts, "docs/scaling.md lists no benchmark commands"
    assert sorted(s for s in scripts if not (REPO / s).exists()) == []
