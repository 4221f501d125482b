"""31 kinds of PII seeded into a shared document's text, its title and URL, and an sft example:
after validate, curate, index and build-sft, none is in the training records or in the shared
index chunks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tasks.data import curate, validate
from tasks.index import index
from tasks.index.store.catalog import open_catalog
from tasks.params import Params
from tasks.train import build_sft

pytestmark = pytest.mark.integration

SEEDED = {  # kind -> (sentence holding it, the value that must not survive)
    "email": ("Write to jane.doe@example.co.uk today.", "jane.doe@example.co.uk"),
    "email with tag": ("Or ops+billing@example.org.", "ops+billing@example.org"),
    "email spelled out": (
        "Mail jane dot doe at example dot com.",
        "jane dot doe at example dot com",
    ),
    "email bracketed": ("Or jane[at]example.com works.", "jane[at]example.com"),
    "US phone": ("Call (415) 867-5309 after 5pm.", "867-5309"),
    "UK phone": ("Call 020 7946 0958 in London.", "7946 0958"),
    "UK mobile": ("Call +44 7911 123456 any time.", "7911 123456"),
    "German phone +49": ("Ruf an: +49 30 901820 bitte.", "901820"),
    "Swedish local phone": ("Ring 070-123 45 68 i dag.", "070-123 45 68"),
    "German local phone": ("Handy 0151 23456789 abends.", "23456789"),
    "card": ("Card 4111 1111 1111 1111 was declined.", "4111 1111 1111 1111"),
    "amex": ("Card 378282246310005 too.", "378282246310005"),
    "IBAN GB": ("IBAN GB82 WEST 1234 5698 7654 32 ok.", "GB82 WEST 1234 5698 7654 32"),
    "IBAN DE": ("IBAN DE89370400440532013000 ok.", "DE89370400440532013000"),
    "IPv4": ("Blocked 192.168.10.20 again.", "192.168.10.20"),
    "IPv6": ("Blocked 2001:db8::8a2e:370:7334 too.", "2001:db8::8a2e:370:7334"),
    "US SSN": ("SSN 536-22-8471 on file.", "536-22-8471"),
    "personnummer": ("Personnummer 19811218-9876 stämmer.", "19811218-9876"),
    "short personnummer": ("Eller 811218-9876 kort.", "811218-9876"),
    "greeting": ("Hi Jane,\nthe export failed.", "Jane"),
    "greeting after greeting": ("Hello, Hi Priya, thanks.", "Priya"),
    "honorific": ("Dear Mr. Okafor, thanks.", "Okafor"),
    "self-introduction": ("I'm Anne-Marie O'Brien from Acme.", "Anne-Marie O'Brien"),
    "sign-off": ("Fixed now.\nKind regards,\nZoë McKay", "Zoë McKay"),
    "name in prose": ("My colleague Maria Lindqvist called.", "Lindqvist"),
    "form field": ("Name: Wei Mehta", "Wei Mehta"),
    "street address": ("Ship to 12 Baker Street, London.", "12 Baker Street"),
    "Swedish address": ("Adress: Storgatan 5, Stockholm.", "Storgatan 5"),
    "German address": ("Anschrift: Hauptstraße 12a, Berlin.", "Hauptstraße 12a"),
    "birth date": ("She was born 18 December 1981.", "18 December 1981"),
    "DOB field": ("DOB: 1981-12-18 per the form.", "1981-12-18"),
}


def source(root: Path) -> Path:
    text = "\n".join(sentence for sentence, _ in SEEDED.values())  # one message line each
    doc = {
        "id": "kb-pii", "source": "kb", "visibility": "public",
        "title": "Refunds: write to jane.doe@example.co.uk",
        "url": "https://help.example.com/contact?mail=ops+billing@example.org",
        "text": f"How to reach support. {text}",
    }  # fmt: skip
    other = {
        "id": "kb-other", "source": "kb", "visibility": "public",
        "text": "Reset a password from the sign-in page; the link lasts 30 minutes.",
    }  # fmt: skip
    sft = {
        "id": "s-1", "prompt": f"Hi, I need help. {text}", "gold_doc_ids": ["kb-pii"],
        "response": f"Thanks for writing. {SEEDED['card'][0]} {SEEDED['US SSN'][0]}",
    }  # fmt: skip
    for folder, rows in (("documents", [doc, other]), ("sft", [sft])):
        (root / folder).mkdir(parents=True)
        (root / folder / "x.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "params.yaml").write_text("{}\n")
    return root


def test_no_seeded_pii_reaches_training_or_the_shared_index(
    make_params: Callable[..., Params], tmp_path: Path
) -> None:
    params = make_params(
        f"paths.source_dir={source(tmp_path / 'src')}", "sft.oracle_fraction=1.0",
        "sft.val_fraction=0.0", "sft.customer_context=redact",
    )  # fmt: skip
    for step in (validate, curate, index, build_sft):
        step.run(params)
    training = (params.paths.sft_dir / "train.jsonl").read_text(encoding="utf-8")
    catalog = open_catalog(params.index, params.paths.index_dir)
    try:
        store = catalog.open(str(catalog.current()))
        chunks = json.dumps([p for _, p in store.scroll(["text", "title", "url"])])
        store.close()
    finally:
        catalog.close()
    survivors = {
        kind: value
        for kind, (_, value) in SEEDED.items()
        if value in training or value in chunks or json.dumps(value)[1:-1] in chunks
    }
    assert survivors == {}
    assert "<EMAIL_ADDRESS>" in chunks  # the title and URL were redacted, not dropped
