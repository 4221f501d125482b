"""PII presidio's pattern set misses in support text: national ids (US SSN, Swedish
personnummer, checksum-validated), dates of birth, street addresses and e-mail addresses
written to dodge a filter ("jane dot doe at example dot com")."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import regex
from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import UsSsnRecognizer

from tasks.data.recognizers import Guarded, offline_tld_extract

CASE_SENSITIVE = regex.MULTILINE  # presidio's default also ignores case: a name is capitalized


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


class SsnRecognizer(Guarded, UsSsnRecognizer):
    """US SSNs written with separators (123-45-6789); bare 9-digit runs are too often order
    numbers. presidio's own checks drop the never-issued areas (000, 666, 9xx) and groups."""

    GUARD = re.compile(r"\d{3}[- .]\d{2}[- .]\d{4}")
    PATTERNS = [Pattern("SSN with separators", r"\b\d{3}[- .]\d{2}[- .]\d{4}\b", 0.6)]  # noqa: RUF012


class PersonnummerRecognizer(Guarded, PatternRecognizer):
    """Swedish personal identity numbers, YYMMDD-XXXX or YYYYMMDD-XXXX (a + for the over-100s),
    with a real birth date and the Luhn check digit."""

    GUARD = re.compile(r"\d{6}[-+]\d{4}")
    SHAPE = r"\b(?:19|20)?(\d{2})(\d{2})(\d{2})[-+](\d{4})\b"

    def __init__(self, supported_language: str) -> None:
        pattern = Pattern("personnummer", self.SHAPE, 0.6)
        super().__init__(
            "SE_PERSONNUMMER",
            patterns=[pattern],
            supported_language=supported_language,
            global_regex_flags=CASE_SENSITIVE,
        )

    def validate_result(self, pattern_text: str) -> bool:
        match = re.search(self.SHAPE, pattern_text)
        if match is None:
            return False
        year, month, day, tail = match.groups()
        try:
            date(2000 + int(year), int(month), int(day) if int(day) <= 60 else int(day) - 60)
        except ValueError:  # not a date (day + 60 is a coordination number)
            return False
        return luhn_ok(f"{year}{month}{day}{tail}")


_DATE = (
    r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2}\.? \p{L}+ \d{4}"
    r"|\p{L}+ \d{1,2},? \d{4})"
)


class BirthDateRecognizer(Guarded, PatternRecognizer):
    """A date that the text calls a date of birth ("born 18 December 1981", "DOB: 1981-12-18")."""

    GUARD = re.compile(r"(?i)born|birth|\bdob\b|geboren|född")
    CONTEXT = r"(?i:born(?: on)?|date of birth|birth ?date|birthday|d\.?o\.?b\.?|geboren|född)"

    def __init__(self, supported_language: str) -> None:
        pattern = Pattern("birth date", rf"{self.CONTEXT}[ \t:]*(?P<date>{_DATE})", 0.6)
        super().__init__(
            "DATE_OF_BIRTH",
            patterns=[pattern],
            supported_language=supported_language,
            global_regex_flags=CASE_SENSITIVE,
        )
        self._date = regex.compile(_DATE)

    def analyze(self, text: str, entities: list[str], *args: Any, **kwargs: Any) -> Any:
        found = super().analyze(text, entities, *args, **kwargs)
        for result in found:  # the date alone, not "born on"
            match = self._date.search(text, result.start, result.end)
            if match is not None:
                result.start, result.end = match.span()
        return found


class StreetAddressRecognizer(Guarded, PatternRecognizer):
    """A house number with a street: "12 Baker Street", "Storgatan 5", "Hauptstraße 12a"."""

    GUARD = re.compile(r"\d")
    WORDS = r"(?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Lane|Drive|Boulevard|Blvd\.|Place|Court)"
    GLUED = r"(?:gatan|vägen|gränd|torget|straße|strasse|weg|platz|gasse|allee)"
    SHAPES = (
        Pattern("number first", rf"\b\d{{1,5}}[a-z]? (?:\p{{Lu}}\p{{Ll}}+ ){{1,3}}{WORDS}", 0.5),
        Pattern("number last", rf"\b\p{{Lu}}\p{{Ll}}*{GLUED} \d{{1,5}}[a-z]?\b", 0.5),
    )

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            "STREET_ADDRESS",
            patterns=list(self.SHAPES),
            supported_language=supported_language,
            global_regex_flags=CASE_SENSITIVE,
        )


class ObfuscatedEmailRecognizer(Guarded, PatternRecognizer):
    """An address spelled out: "jane dot doe at example dot com", "jane[at]example.com"."""

    GUARD = re.compile(r"(?i)\bat\b|\[at\]|\(at\)")
    AT = r"(?:\s*(?:\[at\]|\(at\)|\{at\})\s*|\s+at\s+)"
    DOT = r"(?:\s*(?:\[dot\]|\(dot\))\s*|\s+dot\s+|\.)"
    SHAPE = rf"(?i)\b[\w+-]+(?:{DOT}[\w+-]+)*{AT}[\w-]+(?:{DOT}[\w-]+)+\b"

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            "EMAIL_ADDRESS",
            name="ObfuscatedEmail",
            patterns=[Pattern("spelled-out e-mail", self.SHAPE, 0.5)],
            supported_language=supported_language,
        )

    def validate_result(self, pattern_text: str) -> bool:
        spelled = re.sub(rf"(?i){self.DOT}", ".", re.sub(rf"(?i){self.AT}", "@", pattern_text))
        domain = spelled.rsplit("@", 1)[-1]
        return offline_tld_extract()(domain).suffix != ""
