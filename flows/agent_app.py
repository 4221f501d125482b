"""`tandem serve-copilot`: the page for support agents and its API, one long-lived process that
keeps the model warm. Ask as a customer, see the cited sources, say whether the answer was
right or what the right answer is; every answer is traced (tasks/copilot/tracing.py) and the
verdicts go onto its trace (tasks/copilot/feedback.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from tasks.copilot.tracing import Tracer
from tasks.errors import UserError
from tasks.params import Params

PAGE = Path(__file__).with_name("static") / "agent.html"


class AskRequest(BaseModel):
    question: str
    customer_id: str = ""
    at: str | None = None


class FeedbackRequest(BaseModel):
    trace_id: str
    helpful: bool | None = None
    reason: str = ""
    correction: str = ""
    customer_id: str = ""


def create_app(copilot: Any, params: Params, tracer: Tracer) -> FastAPI:
    from tasks.copilot import feedback
    from tasks.index.retrieve import parse_time

    app = FastAPI(title="tandem copilot", docs_url="/api/docs")
    one_at_a_time = threading.Lock()  # one model, one generation at a time

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return PAGE.read_text(encoding="utf-8")

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "index_version": copilot.retriever.version}

    @app.post("/api/ask")
    def ask(request: AskRequest) -> dict[str, Any]:
        if not request.question.strip():
            raise HTTPException(400, "the question is empty")
        try:
            at = parse_time(request.at)
        except UserError as error:
            raise HTTPException(400, str(error)) from None
        with one_at_a_time:
            answer = copilot.answer_one(
                request.question, request.customer_id.strip(), at, tracer,
                params.serve.hash_customer_ids, {},
            )  # fmt: skip
        return {
            "answer": answer.answer,
            "sources": [s.__dict__ for s in answer.sources],
            "retrieved": list(answer.retrieved),
            "model": answer.model,
            "index_version": copilot.retriever.version,
            "trace_id": answer.trace_id,
            "unavailable": list(answer.unavailable),
        }

    @app.post("/api/feedback")
    def give_feedback(request: FeedbackRequest) -> dict[str, str]:
        if not request.trace_id:
            raise HTTPException(400, "this answer was not traced: feedback needs serve.tracing")
        if request.helpful is None and not request.correction.strip():
            raise HTTPException(400, "say whether the answer was right, or give the right one")
        feedback.record(
            params, request.trace_id, request.helpful, request.reason, request.correction,
            request.customer_id.strip(),
        )  # fmt: skip
        return {"status": "saved"}

    return app


def serve(params: Params, model_uri: str | None) -> None:
    """Load the copilot (the local adapter, or a registered model), then serve until stopped."""
    import uvicorn

    from tasks import tracking
    from tasks.copilot.ask import load_copilot

    tracing = params.serve.tracing
    if tracing:
        tracking.setup(params)
    copilot = load_copilot(params, model_uri)
    app = create_app(copilot, params, Tracer(tracing))
    try:
        uvicorn.run(app, host=params.serve.host, port=params.serve.port, log_level="warning")
    finally:
        copilot.close()
