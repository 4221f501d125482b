"""Larkspur's support-team availability as an HTTP API on loopback: the stub the sample's `http`
context provider asks. GET /staffing?at=<ISO time> -> who is on shift then (UTC shifts below).

    python data/sample/crm/staffing.py --port 8765
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# tier -> (weekdays on shift (0 = Monday), first hour, last hour exclusive, agents)
SHIFTS = {"tier1": (range(7), 6, 22, 4), "tier2": (range(5), 9, 17, 2)}


def staffing(at: datetime) -> dict[str, object]:
    tiers = {}
    for tier, (days, start, end, agents) in SHIFTS.items():
        on = at.weekday() in days and start <= at.hour < end
        tiers[tier] = {"on_shift": agents if on else 0, "hours_utc": f"{start:02d}:00-{end:02d}:00"}
    escalate = "Tier 2 now" if tiers["tier2"]["on_shift"] else "the next Tier 2 shift (09:00 UTC)"
    return {"as_of": at.isoformat(), "tiers": tiers, "escalate_to": escalate}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path != "/staffing":
            self.send_error(404)
            return
        asked = parse_qs(url.query).get("at", [""])[0]
        try:
            at = datetime.fromisoformat(asked) if asked else datetime.now(UTC)
        except ValueError:
            self.send_error(400, "at: an ISO time")
            return
        body = json.dumps(staffing(at if at.tzinfo else at.replace(tzinfo=UTC))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def serve(port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    serve(parser.parse_args().port).serve_forever()
