"""PII detection and redaction with presidio-analyzer, fully offline.

No spaCy model is downloaded or needed: the analyzer runs presidio's `NoOpNlpEngine` with
pattern recognizers only. What each entity uses:

- EMAIL_ADDRESS, CREDIT_CARD (Luhn-checked), IBAN_CODE (checksum-checked), IP_ADDRESS:
  presidio's own recognizers. The email one validates the domain with tldextract, which by
  default fetches the public suffix list over the network; ours reads tldextract's bundled
  snapshot and never opens a socket.
- PHONE_NUMBER: presidio's recognizer (python-phonenumbers, numbers it deems valid) on each run
  of 7+ digits: national formats of PHONE_REGIONS, and +country-code numbers of any region.
  phonenumbers rejects numbers in blocks its metadata lists as unallocated (about half of
  random 07911 mobiles), so UK mobiles and US numbers are also caught by their shape. Local
  numbers without an area code ("867-5309") are not found.
- PERSON: `NameInContextRecognizer`, a heuristic for names where support text puts them:
  greetings ("Hi Jane,", "Dear Mr Okafor,"), self-introductions ("I'm Jane Doe", "this is
  ...", "my name is ...", "Jane Doe here,"), sign-offs ("Regards,\\nJane Doe", "Thanks, Jane")
  and form fields ("Name: Jane Doe"). It misses names anywhere else ("ask Jane about it"),
  names written in lower case, names after an unusual greeting, and a greeting's name not
  followed by punctuation ("Hi Jane thanks"); it also redacts a capitalized non-name in those
  places ("this is Larkspur Cloud"). No offline statistical NER is installed; an official
  English spaCy model is not published on PyPI (only third-party re-uploads).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NoOpNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    IbanRecognizer,
)

from tasks.data.recognizers import (
    CandidatePhoneRecognizer,
    FormattedPhoneRecognizer,
    GuardedIpRecognizer,
    NameInContextRecognizer,
    OfflineEmailRecognizer,
)
from tasks.errors import UserError

LANGUAGE = "en"
# National (no +country code) formats we look for: our customers write from the US and the UK;
# each region is one more pass of phonenumbers over the text.
PHONE_REGIONS = ("US", "GB")


_RECOGNIZERS: dict[str, Callable[[], list[EntityRecognizer]]] = {
    "EMAIL_ADDRESS": lambda: [OfflineEmailRecognizer()],
    "PHONE_NUMBER": lambda: [
        CandidatePhoneRecognizer(supported_regions=PHONE_REGIONS),
        FormattedPhoneRecognizer(),
    ],
    "CREDIT_CARD": lambda: [CreditCardRecognizer()],
    "IBAN_CODE": lambda: [IbanRecognizer()],
    "IP_ADDRESS": lambda: [GuardedIpRecognizer()],
    "PERSON": lambda: [NameInContextRecognizer(LANGUAGE)],
}
SUPPORTED_ENTITIES = tuple(_RECOGNIZERS)


@functools.lru_cache(maxsize=8)
def build_analyzer(entities: tuple[str, ...]) -> AnalyzerEngine:
    """One engine per entity set, built once per process."""
    unknown = [e for e in entities if e not in _RECOGNIZERS]
    if unknown:
        raise UserError(
            f"curate.redact_entities: unsupported {', '.join(unknown)}; "
            f"choose from {', '.join(SUPPORTED_ENTITIES)}"
        )
    registry = RecognizerRegistry(
        recognizers=[r for e in entities for r in _RECOGNIZERS[e]()], supported_languages=[LANGUAGE]
    )
    nlp_engine = NoOpNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "none"}])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE])


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int]


class Redactor:
    """Finds the configured entities; replaces each with a placeholder such as `<EMAIL_ADDRESS>`.

    `allow` lists exact values that are never PII here, such as the company's own support line.
    """

    def __init__(self, entities: Sequence[str], allow: Sequence[str] = ()) -> None:
        self.entities = tuple(dict.fromkeys(entities))
        self.allow = list(allow)
        self._analyzer = build_analyzer(self.entities) if self.entities else None
        self._artifacts = (
            self._analyzer.nlp_engine.process_text("", LANGUAGE) if self._analyzer else None
        )

    def find(self, text: str) -> list[RecognizerResult]:
        """Entities in text order, without overlaps: the surer, then the longer span wins."""
        if self._analyzer is None or not text:
            return []
        found = self._analyzer.analyze(
            text,
            language=LANGUAGE,
            entities=list(self.entities),
            nlp_artifacts=self._artifacts,
            allow_list=self.allow or None,
        )
        chosen: list[RecognizerResult] = []
        for result in sorted(found, key=lambda r: (-r.score, r.start - r.end, r.start)):
            if all(result.end <= c.start or result.start >= c.end for c in chosen):
                chosen.append(result)
        return sorted(chosen, key=lambda r: r.start)

    def redact(self, text: str) -> Redaction:
        found = self.find(text)
        pieces, cursor = [], 0
        for result in found:
            pieces += [text[cursor : result.start], f"<{result.entity_type}>"]
            cursor = result.end
        pieces.append(text[cursor:])
        return Redaction("".join(pieces), dict(Counter(r.entity_type for r in found)))
