"""The sample's live context in its sft and eval rows (generate.py calls `extend`).

Every row gets a recorded snapshot (`context`, docs/data.md) of what the providers this folder's
params.yaml declares returned for it: the availability stub's reply at a moment of a week, and
for a customer's row that customer's CRM record, read with the provider's own query from
crm.sql. Then questions only those blocks answer (the customer's plan and seats, whether Tier 2
is on shift), for customers of the sft side and of the eval side. In half of them the customer
changed plan after the profile document was indexed: the CRM block, newer, is what the answer
follows. Random draws use their own seed: the other files stay as they were.
"""
from __future__ import annotations

import importlib.util
import json
import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SEED = 20261204
MONDAY = datetime(2026, 11, 30, tzinfo=timezone.utc)  # the week the snapshots are taken in
UPGRADE = {"Starter": "Business", "Business": "Enterprise", "Enterprise": "Enterprise"}
SFT_QUESTIONS = [
    "What plan are we on, and can this be escalated to Tier 2 right now?",
    "which plan do we have and is tier 2 support available at the moment?",
    "Is anyone from Tier 2 on shift now? Also, how many seats does our plan have?",
    "Before I ask for an escalation: what plan and seat count do we have, and is Tier 2 around?",
]
EVAL_QUESTIONS = [
    "Could you check our current subscription and licence count, and whether a second-level agent can pick this up today?",
]
STEPS_ON = ["Check the plan and seats in the live CRM record, newer than the profile.",
            "Escalate the ticket to Tier 2 now."]
STEPS_OFF = ["Check the plan and seats in the live CRM record, newer than the profile.",
             "Queue the escalation for the next Tier 2 shift at 09:00 UTC."]
# what the answer must say: the plan, and where the escalation goes (both only in the blocks)
REACHES = {True: "Tier 2 now", False: "next Tier 2 shift"}


def load_staffing():
    spec = importlib.util.spec_from_file_location("sample_staffing", HERE / "crm" / "staffing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.staffing


class Providers:
    """What params.yaml's providers would return, computed without a server."""

    def __init__(self, crm_sql: str):
        params = yaml.safe_load((HERE / "params.yaml").read_text())
        declared = {p["name"]: p for p in params["context"]["providers"]}
        self.query, self.template = declared["crm"]["query"], declared["staffing"]["template"]
        self.staffing = load_staffing()
        self.db = sqlite3.connect(":memory:")
        self.db.row_factory = sqlite3.Row
        self.db.executescript(crm_sql)

    def crm(self, customer_id: str, plan: str | None = None, seats: int | None = None) -> str:
        """The record as tasks/context/blocks.rows_text shows it, after an optional plan change
        (rolled back: crm.sql stays as generated)."""
        if plan is not None:
            self.db.execute("UPDATE customers SET plan = ?, seats = ? WHERE id = ?", (plan, seats, customer_id))
        row = self.db.execute(self.query, {"customer_id": customer_id}).fetchone()
        self.db.rollback()
        return "; ".join(f"{k}: {'' if row[k] is None else row[k]}" for k in row.keys())

    def availability(self, at: datetime) -> tuple[str, bool]:
        reply = self.staffing(at)
        return self.template.format(**reply), bool(reply["tiers"]["tier2"]["on_shift"])


def moment(r: random.Random, tier2_on: bool | None = None) -> datetime:
    """An hour of the week; with tier2_on, one when Tier 2 is (or is not) on shift."""
    while True:
        at = MONDAY + timedelta(hours=r.randrange(7 * 24), minutes=r.randrange(60))
        on = at.weekday() < 5 and 9 <= at.hour < 17
        if tier2_on is None or on == tier2_on:
            return at


def live_unit(r, providers, c, question, fmt_response):
    """One question about the customer's plan and Tier 2, with the snapshot that answers it."""
    changed = r.random() < 0.5
    plan, seats = (UPGRADE[c["plan"]], c["seats"] + r.choice([5, 10, 20])) if changed else (c["plan"], c["seats"])
    if c["status"] == "trial" and not changed:
        plan = "Business trial"
    on = r.random() < 0.5
    staffing, _ = providers.availability(moment(r, on))
    crm = providers.crm(c["id"], plan, seats) if changed else providers.crm(c["id"])
    tier2 = ("a Tier 2 agent is on shift, so this can be escalated to Tier 2 now" if on else
             "no Tier 2 agent is on shift, so the escalation goes to the next Tier 2 shift at 09:00 UTC")
    summary = f"You are on the {plan} plan with {seats} seats, and {tier2}."
    gold = [f"crm/{c['id']}", "staffing"]
    response = fmt_response(summary, STEPS_ON if on else STEPS_OFF, gold)
    return dict(question=question, response=response, gold=gold, context={"crm": crm, "staffing": staffing},
                must_include=[plan, REACHES[on]])


def snapshot(r, providers, row):
    """The blocks a row's prompt shows: the stub's reply, and the customer's own record."""
    context = {"staffing": providers.availability(moment(r))[0]}
    if row.get("customer_id"):
        context["crm"] = providers.crm(row["customer_id"])
    return context


def extend(sft, ev, customers, eval_customers, crm_sql, fmt_response):
    """-> (sft, eval) with a snapshot on every row and the live questions appended."""
    r, providers = random.Random(SEED), Providers(crm_sql)
    sft = [{**row, "context": snapshot(r, providers, row)} for row in sft]
    ev = [{**row, "context": snapshot(r, providers, row)} for row in ev]
    asked = [c for c in customers if c["status"] != "cancelled"]
    for c in (c for c in asked if c["id"] not in eval_customers):
        for question in r.sample(SFT_QUESTIONS, 2):
            u = live_unit(r, providers, c, question, fmt_response)
            sft.append({"id": f"SFT-{len(sft) + 1:04d}", "prompt": u["question"], "response": u["response"],
                        "task_type": "escalation", "customer_id": c["id"], "gold_doc_ids": u["gold"],
                        "context": u["context"]})
    for c in (c for c in asked if c["id"] in eval_customers):
        u = live_unit(r, providers, c, r.choice(EVAL_QUESTIONS), fmt_response)
        ev.append({"id": f"EVAL-{len(ev) + 1:03d}", "question": u["question"], "reference_answer": u["response"],
                   "gold_doc_ids": u["gold"], "customer_id": c["id"], "must_include": u["must_include"],
                   "category": "live", "context": u["context"]})
    verify(sft, ev, eval_customers)
    return sft, ev


def verify(sft, ev, eval_customers):
    for row in sft + ev:
        check(set(row["context"]) == ({"crm", "staffing"} if row.get("customer_id") else {"staffing"}), f"snapshot {row['id']}")
        gold = row["gold_doc_ids"]
        if any("/" in g or g == "staffing" for g in gold):
            check(gold == [f"crm/{row['customer_id']}", "staffing"], f"live gold {row['id']}")
            text = row.get("response") or row["reference_answer"]
            plan = row["context"]["crm"].split("; plan: ")[1].split(";")[0]
            check(f"You are on the {plan} plan" in text, f"{row['id']} answers from the CRM block")
    live_eval = [e for e in ev if e.get("category") == "live"]
    check(len(live_eval) >= 5 and all(e["customer_id"] in eval_customers for e in live_eval), "live eval customers")
    check(len(ev) == len({e["id"] for e in ev}) and len(sft) == len({s["id"] for s in sft}), "live ids unique")


def check(cond, msg):
    if not cond:
        raise SystemExit(f"live_examples check failed: {msg}")


if __name__ == "__main__":
    print(json.dumps(Providers((HERE / "crm" / "crm.sql").read_text()).crm("CUS-004")))
