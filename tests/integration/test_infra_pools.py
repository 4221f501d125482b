"""The Kubernetes work-pool templates (infra/k8s) on a real Prefect server on loopback.

The server validates a base job template when a pool is created, and a deployment's job
variables against the pool's variables schema when the deployment is created and again when a
flow run is; this is what `prefect work-pool create --base-job-template` and `prefect deploy`
meet in a cluster. No Kubernetes is involved: nothing picks the flow runs up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.servers import Server

pytestmark = pytest.mark.integration

K8S = Path(__file__).resolve().parents[2] / "infra" / "k8s"
TEMPLATES = {"cpu": K8S / "base-job-template.json", "gpu": K8S / "base-job-template-gpu.json"}
IMAGE = "registry.example.com/tandem:0.1.0-cuda"
FLOW = "tandem-infra-check"  # not a real flow's name: the flow tests' queries never see these runs


@pytest.fixture
def client(prefect_server: Server) -> Iterator[Any]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings({PREFECT_API_URL: f"{prefect_server.url}/api"}),
        get_client(sync_client=True) as prefect,
    ):
        yield prefect


def create_pool(client: Any, kind: str) -> str:
    from prefect.client.schemas.actions import WorkPoolCreate

    name = f"tandem-k8s-{kind}-{uuid.uuid4().hex[:8]}"
    template = json.loads(TEMPLATES[kind].read_text(encoding="utf-8"))
    client.create_work_pool(
        WorkPoolCreate(name=name, type="kubernetes", base_job_template=template)
    )
    return name


@pytest.fixture
def gpu_pool(client: Any) -> Iterator[str]:
    name = create_pool(client, "gpu")
    yield name
    client.delete_work_pool(name)


def deploy(client: Any, pool: str, **job_variables: str) -> UUID:
    flow_id = client.create_flow_from_name(FLOW)
    deployment_id: UUID = client.create_deployment(
        flow_id=flow_id,
        name=f"finetune-{uuid.uuid4().hex[:8]}",
        work_pool_name=pool,
        job_variables=job_variables,
        entrypoint="flows/prefect_flows.py:finetune",
    )
    return deployment_id


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_the_server_accepts_the_template_as_a_kubernetes_pool(client: Any, kind: str) -> None:
    name = create_pool(client, kind)
    try:
        pool = client.read_work_pool(name)
        assert pool.type == "kubernetes"
        assert pool.base_job_template == json.loads(TEMPLATES[kind].read_text(encoding="utf-8"))
    finally:
        client.delete_work_pool(name)


def test_a_flow_run_gets_the_deployments_job_variables(client: Any, gpu_pool: str) -> None:
    deployment = deploy(client, gpu_pool, image=IMAGE, gpu_count="2")
    run = client.create_flow_run_from_deployment(deployment)
    assert run.work_pool_name == gpu_pool
    assert client.read_deployment(deployment).job_variables == {"image": IMAGE, "gpu_count": "2"}


def test_a_flow_run_without_an_image_is_refused(client: Any, gpu_pool: str) -> None:
    from prefect.exceptions import PrefectHTTPStatusError

    deployment = deploy(client, gpu_pool)
    with pytest.raises(PrefectHTTPStatusError, match="'image' is a required property"):
        client.create_flow_run_from_deployment(deployment)


def test_a_deployment_asking_for_zero_gpus_is_refused(client: Any, gpu_pool: str) -> None:
    from prefect.exceptions import PrefectHTTPStatusError

    with pytest.raises(PrefectHTTPStatusError, match=r"'gpu_count'.*does not match"):
        deploy(client, gpu_pool, image=IMAGE, gpu_count="0")
