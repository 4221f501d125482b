"""The http provider against a real HTTP server on loopback (not a mocked client): retries on
what is transient, gives up within its timeout, caches briefly, and quotes the customer id."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import ValidationError

from tasks.context.live import LiveContext
from tests.unit.context_helpers import section

NOW = datetime(2026, 12, 3, tzinfo=UTC)
STAFFING = {"tiers": {"tier1": {"on_shift": 4}, "tier2": {"on_shift": 0}}, "queue": "normal"}


class Api(ThreadingHTTPServer):
    """Replies by path: /ok, /flaky (500 until `fail_first` calls are spent), /down (503),
    /missing (404), /slow (sleeps 5 s), /echo/<id> (what it was asked)."""

    daemon_threads = True
    seen: list[tuple[str, dict[str, str]]]
    fail_first = 0


class Handler(BaseHTTPRequestHandler):
    server: Api

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))
        status, body = 200, STAFFING
        if self.path == "/flaky" and self.server.fail_first > 0:
            self.server.fail_first -= 1
            status = 500
        elif self.path == "/down":
            status = 503
        elif self.path == "/missing":
            status = 404
        elif self.path == "/slow":
            time.sleep(5)
        elif self.path.startswith("/echo/"):
            body = {"path": self.path, "token": self.headers.get("Authorization", "")}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def api() -> Iterator[Api]:
    server = Api(("127.0.0.1", 0), Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(api: Api, path: str) -> str:
    return f"http://127.0.0.1:{api.server_address[1]}{path}"


def staffing(api: Api, path: str = "/ok", **fields: Any) -> dict[str, Any]:
    return {"name": "staffing", "kind": "http", "title": "Support team now", "shared": True,
            "url": url(api, path), **fields}  # fmt: skip


def gather(ctx_fields: dict[str, Any], customer: str = "", **budget: Any) -> Any:
    live = LiveContext(section(ctx_fields, **budget))
    try:
        return live.gather(customer, NOW)
    finally:
        live.close()


def test_a_reply_is_rendered_through_the_template(api: Api) -> None:
    template = "Tier 2 agents on shift: {tiers[tier2][on_shift]}; queue {queue}"
    [block] = gather(staffing(api, template=template))
    assert (block.id, block.text, block.unavailable) == (
        "staffing", "Tier 2 agents on shift: 0; queue normal", "",
    )  # fmt: skip


def test_without_a_template_every_value_is_a_line(api: Api) -> None:
    [block] = gather(staffing(api))
    assert block.text.splitlines() == [
        "tiers.tier1.on_shift: 4", "tiers.tier2.on_shift: 0", "queue: normal",
    ]  # fmt: skip


def test_a_template_that_does_not_fit_the_reply_is_unavailable(api: Api) -> None:
    [block] = gather(staffing(api, template="{nope}"))
    assert "template does not fit" in block.unavailable


def test_a_5xx_is_retried_with_backoff(api: Api) -> None:
    api.fail_first = 2
    [block] = gather(staffing(api, "/flaky"), retries=2)
    assert block.unavailable == ""
    assert [path for path, _ in api.seen] == ["/flaky"] * 3


def test_a_service_that_stays_down_is_unavailable_after_its_retries(api: Api) -> None:
    [block] = gather(staffing(api, "/down"), retries=1)
    assert block.unavailable == "HTTP 503"
    assert block.text == "(unavailable: HTTP 503)"
    assert len(api.seen) == 2


def test_a_4xx_is_not_retried(api: Api) -> None:
    [block] = gather(staffing(api, "/missing"), retries=3)
    assert block.unavailable == "HTTP 404"
    assert len(api.seen) == 1


def test_a_slow_service_costs_at_most_its_timeout(api: Api) -> None:
    started = time.monotonic()
    [block] = gather(staffing(api, "/slow"), timeout_s=0.5)
    elapsed = time.monotonic() - started
    assert block.unavailable == "no reply within 0.5 s"
    assert elapsed < 0.5 + 1.0, f"a 0.5 s provider held the answer {elapsed:.1f} s"


def test_a_dead_service_is_unavailable() -> None:
    dead = {"name": "staffing", "kind": "http", "title": "t", "shared": True,
            "url": "http://127.0.0.1:9/none"}  # fmt: skip
    [block] = gather(dead, retries=0)
    assert block.unavailable.startswith("cannot connect")


def test_replies_are_cached_for_cache_s(api: Api) -> None:
    live = LiveContext(section(staffing(api), cache_s=30))
    live.gather("", NOW)
    live.gather("", NOW)
    live.close()
    assert len(api.seen) == 1
    uncached = LiveContext(section(staffing(api), cache_s=0))
    uncached.gather("", NOW)
    uncached.gather("", NOW)
    uncached.close()
    assert len(api.seen) == 3


def test_a_url_that_takes_the_time_is_cached_within_the_period(api: Api) -> None:
    live = LiveContext(section(staffing(api, "/ok?at={at}"), cache_s=30))
    for seconds in (0, 10, 29, 30, 45):
        live.gather("", NOW + timedelta(seconds=seconds))
    live.close()
    asked = [path for path, _ in api.seen]
    assert asked == ["/ok?at=2026-12-03T00%3A00%3A00%2B00%3A00",
                     "/ok?at=2026-12-03T00%3A00%3A30%2B00%3A00"]  # fmt: skip


def test_the_customer_id_is_quoted_into_the_url_and_headers_come_from_env(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_TEST_TOKEN", "Bearer s3cret")
    per_customer = {"name": "orders", "kind": "http", "title": "Orders",
                    "url": url(api, "/echo/{customer_id}"),
                    "headers": {"Authorization": "TANDEM_TEST_TOKEN"}}  # fmt: skip
    [block] = gather(per_customer, customer="../admin?all=1")
    assert block.id == "orders/../admin?all=1"
    [(path, headers)] = api.seen
    assert path == "/echo/..%2Fadmin%3Fall%3D1"
    assert headers["Authorization"] == "Bearer s3cret"


def test_a_header_whose_env_var_is_unset_is_named(api: Api) -> None:
    p = staffing(api, headers={"Authorization": "TANDEM_TEST_UNSET_TOKEN"})
    [block] = gather(p)
    assert "TANDEM_TEST_UNSET_TOKEN is not set" in block.unavailable
    assert api.seen == []


def test_a_url_without_the_customer_must_be_declared_shared(api: Api) -> None:
    with pytest.raises(ValidationError, match="shared: true"):
        section({**staffing(api), "shared": False})
    with pytest.raises(ValidationError, match="not http"):
        section({**staffing(api), "url": "file:///etc/passwd"})
