"""The recognizers presidio does not ship, or ships needing the network: see tasks/data/pii.py."""

from __future__ import annotations

import functools
import re
from typing import Any

import regex
import tldextract
from presidio_analyzer import (
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    IpRecognizer,
    PhoneRecognizer,
)


@functools.cache
def offline_tld_extract() -> tldextract.TLDExtract:
    """tldextract without the network: the public suffix list snapshot shipped in the package."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


class Guarded(EntityRecognizer):
    """Mixin: skip a text at once where GUARD, a condition every match needs, does not hold.

    Most support text holds no PII; a cheap search spares it the recognizer's full patterns.
    """

    GUARD: re.Pattern[str]

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[RecognizerResult]:
        if not self.GUARD.search(text):
            return []
        return super().analyze(text, entities, nlp_artifacts, *args, **kwargs)  # type: ignore[arg-type]


# A run of digits and the punctuation numbers are written with, holding 7 or more digits: no
# valid phone number, country code included, has fewer. Only these reach phonenumbers, whose
# matcher spends ~25 µs per region on every digit group (dates, versions, ports) otherwise.
_PHONE_CANDIDATE = re.compile(r"\+?\(?\d(?:[\s\-–—./()\[\]~]{0,4}\d){6,}")


class CandidatePhoneRecognizer(PhoneRecognizer):
    """presidio's phone recognizer, run on each candidate digit run instead of the whole text.

    Each run is passed with MARGIN characters either side: phonenumbers looks there to reject
    timestamps ("2026-11-18 09:12") and numbers glued to letters. (A margin can hold a piece of
    another run, but no piece that short is a valid number.)
    """

    MARGIN = 8

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[RecognizerResult]:
        results = []
        for candidate in _PHONE_CANDIDATE.finditer(text):
            start = max(0, candidate.start() - self.MARGIN)
            window = text[start : candidate.end() + self.MARGIN]
            for result in super().analyze(window, entities, nlp_artifacts):  # type: ignore[arg-type]
                result.start += start
                result.end += start
                results.append(result)
        return EntityRecognizer.remove_duplicates(results)


class FormattedPhoneRecognizer(Guarded, PatternRecognizer):
    """Phone numbers by their written shape alone, in allocated blocks or not."""

    GUARD = _PHONE_CANDIDATE
    SHAPES = (
        Pattern("UK mobile", r"(?<![\w+-])(?:\+44[ ]?|0)7\d{3}[ ]?\d{6}\b", 0.4),
        Pattern("NANP", r"(?<![\w+-])(?:\+1[ .-]?)?\(?[2-9]\d{2}\)?[ .-]\d{3}[ .-]\d{4}\b", 0.4),
    )

    def __init__(self, language: str) -> None:
        super().__init__(
            "PHONE_NUMBER",
            name="FormattedPhone",
            patterns=list(self.SHAPES),
            supported_language=language,
        )


class OfflineEmailRecognizer(Guarded, EmailRecognizer):
    """presidio's email recognizer whose domain check never downloads the suffix list.

    Addresses under reserved and private-use names (RFC 2606/6761 `.example`, `.test`, ...,
    and `.internal`, `.local`, `.corp`) are no public suffix, yet they are mailboxes: a company's
    own addresses are allowed by value (`curate.redact_allow`), never by their domain."""

    GUARD = re.compile("@")
    PRIVATE_TLDS = frozenset(
        {"example", "test", "invalid", "localhost", "internal", "local", "corp", "lan", "home"}
    )

    def validate_result(self, pattern_text: str) -> bool:
        tld = pattern_text.rsplit(".", 1)[-1].lower()
        return tld in self.PRIVATE_TLDS or offline_tld_extract()(pattern_text).fqdn != ""


class GuardedIpRecognizer(Guarded, IpRecognizer):
    # IPv4 is four dotted numbers; every IPv6 form has two colons with only hex between them.
    GUARD = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d|:[0-9A-Fa-f]{0,4}:")


_NAME_WORD = r"\p{Lu}[\p{L}'’\-]*\p{Ll}"  # Jane, O'Brien, Anne-Marie, McKay, Zoë
_NAME = rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})"
_NAME_CONTEXTS = (
    # greeting opening a line or sentence, the name then ending the phrase: "Hi Jane," "Dear
    # Mr Okafor," ("hey When does ..." and "Hello Acme team," are not names)
    rf"(?:^|[.!?:,\"“(])[ \t]*(?i:hi|hello|hey|dear|good (?:morning|afternoon|evening))[ \t]+"
    rf"(?:(?i:mr|mrs|ms|mx|dr)\.?[ \t]+)?{_NAME}(?=[ \t]*(?:[,.!:;\"”)]|$))",
    # self-introduction: "I'm Jane Doe", "this is Jane", "my name is Jane Doe"
    rf"\b(?i:i'm|i’m|i am|this is|my name is|my name's)[ \t]+{_NAME}",
    # "Jane Doe here," opening a line or sentence, or after a greeting
    rf"(?:^|[.!?:\"“(]|\b(?i:hi|hello|hey),?)[ \t]*{_NAME}[ \t]+here\b",
    # honorific anywhere: "Mr. Okafor", "Dr Singh"
    rf"\b(?:Mr|Mrs|Ms|Mx|Dr)\.?[ \t]+{_NAME}",
    # sign-off opening a line or following a sentence, the name on the same or the next line
    rf"(?:^|[.!?])[ \t]*(?i:regards|best regards|kind regards|warm regards|best wishes|"
    rf"thanks|thank you|many thanks|cheers|sincerely|yours truly|yours sincerely|best)"
    rf"[ \t]*[,.!\-–—]?[ \t]*"
    rf"(?:\n[ \t]*)?{_NAME}(?=[ \t]*(?:[,.!\"”')]|$))",
    # a person named by their relation: "my colleague Maria Lindqvist", "ask our admin, Jane";
    # in lower case only, as prose writes them ("Admin Console" is a product's name)
    rf"\b(?:colleague|coworker|co-worker|manager|boss|assistant|admin|administrator|husband"
    rf"|wife|partner|son|daughter|friend|technician|engineer|contact person|named|called)"
    rf",?[ \t]+{_NAME}",
    # a form field: "Name: Jane Doe", "Contact: Jane Doe"
    rf"\b(?i:name|full name|customer name|contact|requester)[ \t]*:[ \t]*{_NAME}",
)
_WORD = regex.compile(r"\S+")
_TRIGGER_WORD = re.compile(r"[\w'’]+")
# Capitalized words that follow those contexts without being a name.
_NOT_NAMES = frozenset(
    {"All", "Everyone", "Team", "Support", "There", "Sir", "Madam", "Folks", "Guys", "Customer"}
    | {"Admin", "Again", "Sorry", "Happy", "Glad", "Unable", "Just", "Still", "Also", "Not", "Now"}
    | {"Here", "The", "This", "That", "It", "We", "You", "Our", "Your", "Please", "Regarding"}
    | {"Urgent", "Important", "Critical", "Blocking", "Re", "Click", "Open", "Select", "Choose"}
    | {"Go", "Tap", "See", "Press", "Enter", "Type", "Visit", "Use", "Check", "Sign", "Log"}
)


class NameInContextRecognizer(LocalRecognizer):
    """PERSON from where support messages put names; see the module docstring for its limits."""

    NAME = "NameInContext"
    SCORE = 0.6
    # The first word of every context above; a text with none of them is skipped at once.
    TRIGGERS = frozenset(
        {"hi", "hello", "hey", "dear", "good", "i'm", "i’m", "i", "this", "my", "mr", "mrs", "ms"}
        | {"mx", "dr", "regards", "best", "kind", "warm", "thanks", "thank", "many", "cheers"}
        | {"sincerely", "yours", "name", "full", "customer", "contact", "requester", "here"}
        | {"colleague", "coworker", "co", "manager", "boss", "assistant", "admin", "husband"}
        | {"administrator", "wife", "partner", "son", "daughter", "friend", "technician"}
        | {"engineer", "named", "called"}
    )

    def __init__(self, language: str) -> None:
        self._patterns = [regex.compile(p, regex.MULTILINE) for p in _NAME_CONTEXTS]
        super().__init__(supported_entities=["PERSON"], supported_language=language, name=self.NAME)

    def load(self) -> None:
        """Nothing to load: the patterns are compiled in __init__."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[RecognizerResult]:
        if self.TRIGGERS.isdisjoint(_TRIGGER_WORD.findall(text.lower())):
            return []
        results = []
        for pattern in self._patterns:
            for match in pattern.finditer(text):
                words = [w.span() for w in _WORD.finditer(match.group("name"))]
                while words and match.group("name")[slice(*words[-1])] in _NOT_NAMES:
                    words.pop()
                if not words or match.group("name")[slice(*words[0])] in _NOT_NAMES:
                    continue
                start = match.start("name")
                results.append(
                    RecognizerResult(
                        "PERSON",
                        start,
                        start + words[-1][1],
                        self.SCORE,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.NAME,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                )
        return EntityRecognizer.remove_duplicates(results)
