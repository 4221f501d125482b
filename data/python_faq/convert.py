"""Python's own FAQ (Debian's python3.11-doc) as a tandem source folder: a real corpus that no one
here wrote, of another shape than the sample.

Each FAQ entry (a question heading and its answer) becomes one document: id `<page>/<anchor>`
(e.g. `programming/how-do-i-copy-an-object-in-python`), title = the question, text = the whole
answer, url = its place in the docs. The ideal answer to the question is the answer's opening
paragraph (up to OPENING_WORDS words): that is the sft target and the eval reference. A stable
hash of the entry's id sends EVAL_SHARE of the entries to eval/ and the rest to sft/; questions
that repeat (two pages ask "What is Python?") are kept once, in sft, so no eval question
near-duplicates an sft prompt. Another hash share (UNANSWERABLE_SHARE) of the entries is left out
of documents/ altogether: their questions go to eval with no gold document and the abstain
response as reference, so the copilot's abstention is measured on questions the knowledge base
truly cannot answer (with a near-perfect retriever, "gold missing from the context" is rare).

    python data/python_faq/convert.py [--faq DIR] [--to out/python-faq/source]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

import yaml
from bs4 import BeautifulSoup, Tag

DEFAULT_FAQ = Path("/usr/share/doc/python3.11/html/faq")
DOCS_URL = "https://docs.python.org/3.11/faq"
EVAL_SHARE = 0.25  # of the entries, by id hash
UNANSWERABLE_SHARE = 0.08  # of the entries, by another hash: not in documents/, asked in eval
MIN_ANSWER_CHARS = 60  # shorter answers only point elsewhere ("See the ... module")
OPENING_WORDS = (40, 90)  # the ideal answer: the answer's opening, whole sentences, this long
PARAMS = """\
# Python's FAQ: its own values, layered over the root params.yaml (written by convert.py).
prompt:
  system: >-
    You answer questions about the Python programming language using only the context
    documents. Cite the documents you used by id in square brackets.
sft:
  abstain_response: The Python FAQ does not answer this, so I will not guess.
"""


def abstain_response() -> str:
    """The reference answer of a question the FAQ does not answer: this corpus's own abstention."""
    return str(yaml.safe_load(PARAMS)["sft"]["abstain_response"])


def entries(page: Path) -> list[dict[str, str]]:
    """(id, question, answer text) of every leaf section of one FAQ page whose heading asks."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    main = soup.find("div", {"role": "main"}) or soup.body
    found = []
    for section in main.find_all("section") if isinstance(main, Tag) else []:
        if section.find("section"):
            continue
        heading = section.find(["h1", "h2", "h3", "h4"])
        if heading is None:
            continue
        question = heading.get_text(" ", strip=True).rstrip("¶").strip()
        heading.decompose()
        blocks = [b.get_text(" ", strip=True) for b in section.find_all(["p", "pre", "li"])]
        answer = "\n\n".join(re.sub(r"\s+", " ", b) for b in blocks if b)
        if question.endswith("?") and len(answer) >= MIN_ANSWER_CHARS:
            found.append(
                {"id": f"{page.stem}/{section.get('id')}", "question": question, "answer": answer}
            )
    return found


def opening(answer: str) -> str:
    """Whole sentences from the start, at least the shorter OPENING_WORDS bound (where the
    answer has that many) and no more than the longer one (one sentence at the least)."""
    shortest, longest = OPENING_WORDS
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.!?:])\s+", answer.replace("\n\n", " ")):
        words = len(" ".join(kept).split())
        if kept and (words >= shortest or words + len(sentence.split()) > longest):
            break
        kept.append(sentence)
    return " ".join(kept)


def bucket(entry_id: str, salt: str) -> float:
    """A stable place in [0, 1] for an entry: the same split on every run and machine."""
    return int(hashlib.sha256(f"{salt}:{entry_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def question_key(question: str) -> str:
    return re.sub(r"\W+", " ", question.lower()).strip()


def in_eval(entry_id: str) -> bool:
    return bucket(entry_id, "pyfaq") < EVAL_SHARE


def unanswerable(entry_id: str) -> bool:
    return bucket(entry_id, "pyfaq-unanswerable") < UNANSWERABLE_SHARE


def convert(faq: Path, target: Path) -> dict[str, int]:
    pages = sorted(p for p in faq.glob("*.html") if p.stem != "index")
    if not pages:
        raise SystemExit(f"no FAQ pages in {faq}: install Debian's python3.11-doc")
    all_entries = [e for page in pages for e in entries(page)]
    documents, sft, evaluation, seen = [], [], [], set()
    asked = Counter(question_key(e["question"]) for e in all_entries)
    declined = abstain_response()
    for entry in all_entries:
        key = question_key(entry["question"])
        if unanswerable(entry["id"]) and asked[key] == 1:  # a question asked twice stays answerable
            evaluation.append(
                {
                    "id": entry["id"],
                    "question": entry["question"],
                    "gold_doc_ids": [],
                    "reference_answer": declined,
                }
            )
            continue
        page, anchor = entry["id"].split("/", 1)
        documents.append(
            {
                "id": entry["id"],
                "title": entry["question"],
                "text": entry["answer"],
                "source": "faq",
                "visibility": "public",
                "url": f"{DOCS_URL}/{page}.html#{anchor}",
            }
        )
        duplicate, _ = key in seen, seen.add(key)
        row = {"id": entry["id"], "gold_doc_ids": [entry["id"]]}
        if in_eval(entry["id"]) and not duplicate:
            evaluation.append(
                {**row, "question": entry["question"], "reference_answer": opening(entry["answer"])}
            )
        else:
            sft.append({**row, "prompt": entry["question"], "response": opening(entry["answer"])})
    for folder, name, rows in (
        ("documents", "faq.jsonl", documents),
        ("sft", "sft.jsonl", sft),
        ("eval", "eval.jsonl", evaluation),
    ):
        (target / folder).mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (target / folder / name).write_text(lines, encoding="utf-8")
    (target / "params.yaml").write_text(PARAMS, encoding="utf-8")
    answerable = sum(1 for row in evaluation if row["gold_doc_ids"])
    return {
        "documents": len(documents),
        "sft": len(sft),
        "eval": answerable,
        "unanswerable": len(evaluation) - answerable,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", type=Path, default=DEFAULT_FAQ)
    parser.add_argument("--to", type=Path, default=Path("out/python-faq/source"))
    args = parser.parse_args()
    counts = convert(args.faq, args.to)
    print(f"{args.to}: " + ", ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
