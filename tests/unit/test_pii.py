"""PII: the Redactor on each entity, offline, and no seeded PII surviving curate into sft data."""

from __future__ import annotations

import json
import random
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tasks.data import curate, pii, recognizers
from tasks.data.pii import Redactor
from tasks.params_loader import load_params
from tasks.schema import DOCUMENT_COLUMNS, EVAL_COLUMNS, SFT_COLUMNS
from tests.unit.pii_helpers import make_redactor

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
ALL = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "PERSON")


# ---------------------------------------------------------------- a seeded generator

FIRST = ["Jane", "Tomás", "Aisha", "Liam", "Mei", "Oluwaseun", "Anne-Marie", "Pedro", "Zoë", "Ravi"]
LAST = ["Okafor", "O'Brien", "Nakamura", "Schmidt", "Kowalski", "García", "Patel", "McKay"]
DOMAINS = ["example.com", "mail.co.uk", "acme.io", "larkspur-customer.de", "uni.edu"]
FILLER = [
    "Our nightly export to the storage bucket stopped after the last release.",
    "The dashboard shows a warning about the billing plan on every login.",
    "We rotated the API key yesterday and now the deploy hook returns 401.",
    "Please check why the invoice for this month lists two projects twice.",
    "The EU region looks slow since the maintenance window on Tuesday.",
    "Could you extend the trial so that our team can finish the migration?",
    "Two of our users cannot reset their password from the login page.",
    "The webhook retries three times and then gives up without an alert.",
]


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, digit in enumerate(reversed(body)):
        d = int(digit) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def iban(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def fake_pii(rng: random.Random) -> list[tuple[str, str]]:
    """One value of each kind, as (entity, the exact string written)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = f"{first.lower().replace('ë', 'e').replace('á', 'a')}.{rng.randrange(100, 999)}"
    area, exchange, line = (
        rng.choice(["212", "415", "617", "312"]),
        rng.randrange(200, 999),
        rng.randrange(10000),
    )
    phone = rng.choice(
        [
            f"({area}) {exchange}-{line:04d}",
            f"{area}-{exchange}-{line:04d}",
            f"+1 {area} {exchange} {line:04d}",
            f"020 7946 {rng.randrange(1000):04d}",
            f"+44 20 7946 {rng.randrange(1000):04d}",
            f"07{rng.randrange(400, 999)} {rng.randrange(100000, 999999)}",
            f"+44 7{rng.randrange(400, 999)} {rng.randrange(100000, 999999)}",
        ]
    )
    card = luhn_complete(*rng.choice([("4", 16), ("51", 16), ("37", 15)]), rng)
    if rng.random() < 0.5:
        card = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    account = iban(
        *rng.choice(
            [
                ("GB", "WEST" + "".join(str(rng.randrange(10)) for _ in range(14))),
                ("DE", "".join(str(rng.randrange(10)) for _ in range(18))),
            ]
        )
    )
    if rng.random() < 0.5:
        account = " ".join(account[i : i + 4] for i in range(0, len(account), 4))
    address = rng.choice(
        [f"203.0.113.{rng.randrange(1, 255)}", f"10.{rng.randrange(256)}.{rng.randrange(256)}.7"]
    )
    return [
        ("PERSON", f"{first} {last}"),
        ("EMAIL_ADDRESS", f"{local}@{rng.choice(DOMAINS)}"),
        ("PHONE_NUMBER", phone),
        ("CREDIT_CARD", card),
        ("IBAN_CODE", account),
        ("IP_ADDRESS", address),
    ]


def seeded_sft(n: int, seed: int = 7) -> tuple[list[dict[str, Any]], Counter[str], list[str]]:
    """sft rows whose prompts and responses carry PII; the expected counts and the strings."""
    rng = random.Random(seed)
    rows, expected, planted = [], Counter[str](), []
    for index in range(n):
        values = dict(fake_pii(rng))
        name, first = values["PERSON"], values["PERSON"].split()[0]
        greeting = rng.choice(
            [f"Hi, I'm {name}.", f"Hello, this is {name}.", f"My name is {name}."]
        )
        details = [
            f"You can reach me at {values['EMAIL_ADDRESS']} or {values['PHONE_NUMBER']}.",
            f"The card {values['CREDIT_CARD']} was charged twice.",
            f"Refund to IBAN {values['IBAN_CODE']} please.",
            f"Requests come from {values['IP_ADDRESS']}.",
        ]
        rng.shuffle(details)
        prompt = " ".join([greeting, *rng.sample(FILLER, 3), *details, f"Ticket {index:05d}."])
        sign_off = rng.choice([f"Regards,\n{name}", f"Thanks, {name}", f"Best regards,\n{name}"])
        prompt = f"{prompt}\n{sign_off}"
        response = (
            f"Hi {first},\nthanks for the details. I have opened case {index:05d} and will "
            f"confirm the refund at {values['EMAIL_ADDRESS']}."
        )
        rows.append(
            {
                "id": f"S-{index:04d}",
                "prompt": prompt,
                "response": response,
                "task_type": "billing",
                "customer_id": f"C-{index % 9}",
                "gold_doc_ids": [],
            }
        )
        expected.update(
            {
                "PERSON": 3,
                "EMAIL_ADDRESS": 2,
                "PHONE_NUMBER": 1,
                "CREDIT_CARD": 1,
                "IBAN_CODE": 1,
                "IP_ADDRESS": 1,
            }
        )
        planted += [*values.values(), first]
    return rows, expected, planted


def test_no_seeded_pii_survives_into_curated_sft(tmp_path: Path) -> None:
    params = load_params(
        REPO / "params.yaml", [f"paths.source_dir={tmp_path}", f"paths.out_dir={tmp_path / 'out'}"]
    )
    rows, expected, planted = seeded_sft(100)
    validated = params.paths.validated_dir
    validated.mkdir(parents=True)
    pd.DataFrame(rows, columns=list(SFT_COLUMNS)).to_parquet(validated / "sft.parquet")
    document = {c: "" for c in DOCUMENT_COLUMNS} | {"id": "KB-1", "text": "Refunds take 5 days."}
    pd.DataFrame([document], columns=list(DOCUMENT_COLUMNS)).to_parquet(
        validated / "documents.parquet"
    )
    pd.DataFrame([], columns=list(EVAL_COLUMNS)).to_parquet(validated / "eval.parquet")

    curate.run(params)

    curated = pd.read_parquet(params.paths.curated_dir / "sft.parquet")
    assert len(curated) == 100
    training_text = "\n".join([*curated["prompt"], *curated["response"]])
    survivors = sorted({value for value in planted if value in training_text})
    assert survivors == []
    report = json.loads((params.paths.reports_dir / "curation.json").read_text())
    assert report["sft"]["redactions"] == dict(sorted(expected.items()))
    assert "<CREDIT_CARD>" in curated.iloc[0]["prompt"]


# ---------------------------------------------------------------- the Redactor


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return make_redactor(ALL)


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        (
            "write to jane.doe+billing@example.co.uk today",
            "EMAIL_ADDRESS",
            "jane.doe+billing@example.co.uk",
        ),
        ("call (415) 867-5309 after 5pm", "PHONE_NUMBER", "(415) 867-5309"),
        ("call 020 7946 0958 in London", "PHONE_NUMBER", "020 7946 0958"),
        ("call +44 7911 123456 any time", "PHONE_NUMBER", "+44 7911 123456"),
        ("ruf an: +49 30 901820 bitte", "PHONE_NUMBER", "+49 30 901820"),
        ("card 4111 1111 1111 1111 declined", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("card 378282246310005 declined", "CREDIT_CARD", "378282246310005"),
        ("iban GB82 WEST 1234 5698 7654 32 ok", "IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
        ("iban DE89370400440532013000 ok", "IBAN_CODE", "DE89370400440532013000"),
        ("blocked 192.168.10.20 again", "IP_ADDRESS", "192.168.10.20"),
        ("blocked 2001:db8::8a2e:370:7334 again", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("Hi Jane,\nthe export failed", "PERSON", "Jane"),
        ("Dear Mr. Okafor, thanks", "PERSON", "Okafor"),
        ("I'm Anne-Marie O'Brien from Acme", "PERSON", "Anne-Marie O'Brien"),
        ("Fixed now.\nKind regards,\nZoë McKay\nAcme Ltd", "PERSON", "Zoë McKay"),
        ("Customer: Wei Mehta here, any news?", "PERSON", "Wei Mehta"),
        ('wrote: "Any news? Kind regards,\nMateo Rossi"', "PERSON", "Mateo Rossi"),
    ],
)
def test_each_entity_is_found_and_replaced(
    redactor: Redactor, text: str, entity: str, value: str
) -> None:
    found = redactor.find(text)
    assert [(r.entity_type, text[r.start : r.end]) for r in found] == [(entity, value)]
    redacted = redactor.redact(text)
    assert redacted.text == text.replace(value, f"<{entity}>")
    assert redacted.counts == {entity: 1}


@pytest.mark.parametrize(
    "text",
    [
        "Version 2.4.1 listens on port 8080 since 2024-06-01; order 12345678.",
        "Hi team, thanks for the quick fix.",
        "hey When does our contract renew? Hello Larkspur team, thanks.",
        "Click Settings here, then Save.",
        "Status: investigating (last update 2026-11-19 10:00 UTC).",
        "Quote the invoice number (for example INV-2026-09-0042).",
        "Best practices for keys. This is not a bug. This is Urgent.",
        "Card 4111 1111 1111 1112 fails the Luhn check.",
    ],
)
def test_ordinary_support_text_is_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text).text == text


def test_allowed_values_are_kept() -> None:
    text = "Phone support: +1 888 555 0142. Your callback: +1 415 555 0118."
    redacted = make_redactor(["PHONE_NUMBER"], allow=["+1 888 555 0142"]).redact(text)
    assert redacted.text == "Phone support: +1 888 555 0142. Your callback: <PHONE_NUMBER>."


def test_redactor_with_no_entities_changes_nothing() -> None:
    assert make_redactor(()).redact("jane@example.com") == pii.Redaction("jane@example.com", {})


def test_unknown_entity_is_a_user_error() -> None:
    from tasks.errors import UserError

    with pytest.raises(UserError, match="US_DRIVER_LICENSE"):
        make_redactor(["EMAIL_ADDRESS", "US_DRIVER_LICENSE"])


def test_email_check_makes_no_network_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """tldextract's default fetches the public suffix list; ours must only read its snapshot."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    recognizers.offline_tld_extract.cache_clear()
    try:
        found = make_redactor(["EMAIL_ADDRESS"]).find(
            "mail ops@larkspur.example.org or x@y.invalidtld"
        )
    finally:
        recognizers.offline_tld_extract.cache_clear()
    assert [r.entity_type for r in found] == ["EMAIL_ADDRESS"]
    assert attempts == []


def test_mailboxes_under_reserved_names_are_redacted_unless_allowed_by_value() -> None:
    """`.example` or `.internal` is no public suffix, but `jane@acme.example` is a mailbox: the
    leak scan of the sft records counts it, so the redactor must too."""
    redactor = make_redactor(["EMAIL_ADDRESS"], allow=["trust@larkspur.example"])
    text = "Write to trust@larkspur.example, jane@acme.example or ops@corp.internal."
    assert redactor.redact(text).text == (
        "Write to trust@larkspur.example, <EMAIL_ADDRESS> or <EMAIL_ADDRESS>."
    )


def test_a_product_named_after_a_role_is_no_person() -> None:
    redactor = make_redactor(["PERSON"])
    assert redactor.find("Wipe it from Admin Console > Devices.") == []
    assert redactor.redact("Ask our admin, Jane Doe.").text == "Ask our admin, <PERSON>."
