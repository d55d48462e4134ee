"""Sentiment lexicon: VADER's MIT-licensed word and emoji data plus Clearloop's additions and rules.

VADER's files are read as data from the installed ``vaderSentiment`` package (importlib.resources);
``nlp/data/lexicon_additions.tsv`` adds customer-feedback vocabulary and neutralises SaaS nouns that
VADER rates as sentiment ("support", "free"). Unknown words fall back to simple morphology
(``disappointingly`` -> ``disappointing``, ``uninspired`` -> negated ``inspired``).
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources

from rapidfuzz.distance import OSA
from spacy.lang.en.stop_words import STOP_WORDS
from vaderSentiment.vaderSentiment import B_DECR, B_INCR, BOOSTER_DICT

from nlp.lexicon_data import EMOJI_OVERRIDES, MWES

N_SCALAR = -0.74  # VADER's negation scalar
NEGATIONS = frozenset(
    [
        "not",
        "n't",
        "nt",
        "never",
        "none",
        "nope",
        "nor",
        "nothing",
        "nowhere",
        "nobody",
        "neither",
        "without",
        "cannot",
        "rarely",
        "seldom",
        "aint",
        "arent",
        "cant",
        "couldnt",
        "didnt",
        "doesnt",
        "dont",
        "hadnt",
        "hasnt",
        "havent",
        "isnt",
        "mightnt",
        "mustnt",
        "neednt",
        "shouldnt",
        "wasnt",
        "werent",
        "wont",
        "wouldnt",
    ]
)
CONTRAST = frozenset(["but", "however", "yet", "nevertheless", "nonetheless"])
SUBORDINATE = frozenset(["although", "though", "despite", "whereas"])
CLITICS = frozenset(["'s", "'s", "'re", "'m", "'ll", "'ve", "'d", "’s", "’re", "’m", "’ll", "’ve", "’d"])
BOOSTERS: dict[str, float] = {
    **BOOSTER_DICT,
    "too": B_INCR,
    "super": B_INCR,
    "way": B_INCR * 0.5,
    "pretty": B_DECR * 0.5,
    "definitely": B_INCR,
    "certainly": B_INCR,
    "fairly": B_DECR,
    "rather": B_DECR,
}


TYPO_MIN_LEN = 6  # shorter unknown words are more often jargon ("admin", "saml") than typos
# Software words missing from the English frequency list that sit one edit from a sentiment word.
_JARGON = frozenset(["signup", "config", "configs", "webhook", "webhooks", "plugin", "plugins", "devops"])


_KNOWN: list[frozenset[str]] = []  # the loaded word list (one item), or none yet


def known_english_words() -> frozenset[str]:
    """English words of 5+ letters (pyspellchecker's MIT frequency list): never typo-corrected.
    Read once per process (or handed over by :func:`use_known_english_words` from the NLP cache)."""
    if not _KNOWN:
        raw = resources.files("spellchecker.resources").joinpath("en.json.gz").read_bytes()
        words = json.loads(gzip.decompress(raw))
        _KNOWN[:] = [frozenset(w for w in words if len(w) >= 5 and w.isalpha())]
    return _KNOWN[0]


def use_known_english_words(words: frozenset[str]) -> None:
    """Adopt a word list equal to :func:`known_english_words`'s (as read back from the NLP cache), so
    the process holds one copy and does not read the list again."""
    if not _KNOWN:
        _KNOWN[:] = [words]


def _read_pkg_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _parse_vader(text: str) -> dict[str, float]:
    """word -> valence; a word listed twice ("lol", "ok") keeps its last value, as VADER's own loader does."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0]:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return out


@dataclass
class Lexicon:
    """Word valences (-4..4), negated valences for some words, boosters and emoji valences."""

    valence: dict[str, float] = field(default_factory=dict)
    negated: dict[str, float] = field(default_factory=dict)
    emoji: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Lexicon:
        """Load VADER's lexicon and emoji data plus the Clearloop additions."""
        lex = cls(valence=_parse_vader(_read_pkg_text("vaderSentiment", "vader_lexicon.txt")))
        for line in _read_pkg_text("nlp.data", "lexicon_additions.tsv").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            lex.valence[parts[0]] = float(parts[1])
            if len(parts) > 2:
                lex.negated[parts[0]] = float(parts[2])
        lex.emoji = lex._emoji_valences(_read_pkg_text("vaderSentiment", "emoji_utf8_lexicon.txt"))
        return lex

    def _emoji_valences(self, text: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in text.splitlines():
            parts = line.split("\t")
            # Only faces and hearts: other descriptions ("game die", "Cancer") say nothing about mood.
            if len(parts) != 2 or not any(w in parts[1] for w in ("face", "heart")):
                continue
            total = sum(self.valence.get(w, 0.0) for w in parts[1].lower().split())
            if total:
                out[parts[0]] = max(-3.0, min(3.0, total))
        out.update(EMOJI_OVERRIDES)
        return out

    @cached_property
    def mwe_anchors(self) -> dict[str, tuple[tuple[tuple[str, ...], int, float], ...]]:
        """MWEs indexed by their anchor word, longest first: ``word -> ((words, offset, valence), ...)``.

        The anchor is the last word that is not a stop word (else the last word), so the scorer only
        checks MWEs at rare words ("charm" in "like a charm"), not at every "the" or "to".
        """
        idx: dict[str, list[tuple[tuple[str, ...], int, float]]] = {}
        for phrase, val in MWES.items():
            words = tuple(phrase.split())
            k = max((j for j, w in enumerate(words) if w not in STOP_WORDS), default=len(words) - 1)
            idx.setdefault(words[k], []).append((words, k, val))
        return {w: tuple(sorted(lst, key=lambda item: -len(item[0]))) for w, lst in idx.items()}

    def word_valence(self, lower: str) -> float:
        """Valence of a lower-case token, with a morphological fallback for unknown words."""
        v = self.valence.get(lower)
        if v is not None:
            return v
        v = self.emoji.get(lower[:1]) if lower and not lower[0].isascii() else None
        if v is not None:
            return v
        if lower.isalpha() and _ELONGATED.search(lower):  # "goooood", "sooo slow"
            for short in squeezed(lower):
                v = self.valence.get(short)
                if v is not None:
                    return v
        if not lower.isalpha() or len(lower) <= 4:
            return 0.0
        return self._morph_valence(lower) or self._typo_valence(lower)

    @cached_property
    def _deletes(self) -> dict[str, tuple[str, ...]]:
        """Single-letter deletions of lexicon words -> the words (for typo lookups). Built once at the
        analyser's construction (``build_typo_index``); tuples, not lists, so the cyclic GC untracks them
        and full collections do not walk ~90k lists on every batch."""
        idx: dict[str, list[str]] = {}
        for w, v in self.valence.items():
            if v and w.isalpha() and len(w) >= 4:
                idx.setdefault(w, []).append(w)
                for d in _deletions(w):
                    idx.setdefault(d, []).append(w)
        return {k: tuple(v) for k, v in idx.items()}

    def build_typo_index(self) -> None:
        """Build the typo index and load the English word list now (construction), not on first use."""
        self._deletes  # noqa: B018 - builds the cached property
        known_english_words()

    def _typo_valence(self, w: str) -> float:
        """Valence of a misspelt sentiment word ("delicous", "amazin", "overated"): a lexicon word at edit
        distance 1 with the same first letter, if the word is not English itself and the match is unique
        in sign. Customers do not proof-read feedback."""
        if len(w) < TYPO_MIN_LEN or w in known_english_words() or w in _JARGON:
            return 0.0
        found = [c for c in map(self._deletes.get, [w, *_deletions(w)]) if c]  # one map over the keys
        if not found:
            return 0.0
        cands = set().union(*found)
        vals = {self.valence[c] for c in cands if c[0] == w[0] and OSA.distance(c, w) <= 1}
        if not vals or (max(vals) > 0) != (min(vals) > 0):
            return 0.0
        return max(vals, key=abs)

    def _morph_valence(self, w: str) -> float:
        for cand in _base_forms(w):
            v = self.valence.get(cand)
            if v is not None:
                return v
        for prefix in ("un", "dis", "non"):
            if w.startswith(prefix) and len(w) - len(prefix) >= 4:
                base = w[len(prefix) :]
                v = self.valence.get(base)
                if v is None:
                    v = next((self.valence[c] for c in _base_forms(base) if c in self.valence), None)
                if v is not None and v > 0:
                    return round(v * N_SCALAR, 3)
        return 0.0


_ELONGATED = re.compile(r"(\w)\1\1")


def squeezed(word: str) -> list[str]:
    """Spellings of an elongated word to look up: letters repeated 3+ times cut to two, then to one."""
    if not _ELONGATED.search(word):
        return []
    two = re.sub(r"(\w)\1{2,}", r"\1\1", word)
    return [two, re.sub(r"(\w)\1{2,}", r"\1", word)]


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def _base_forms(w: str) -> list[str]:
    """Candidate base forms of an inflected or -ly word, most likely first."""
    out: list[str] = []
    if w.endswith("ily"):
        out.append(w[:-3] + "y")
    if w.endswith("ly"):
        out += [w[:-2], w[:-2] + "e", w[:-1] + "e" if w.endswith("bly") else w[:-2]]
    if w.endswith(("ies", "ied", "ier")):
        out.append(w[:-3] + "y")
    if w.endswith("iest"):
        out.append(w[:-4] + "y")
    for suf in ("ing", "ed", "er", "est", "es", "s"):
        if w.endswith(suf):
            stem = w[: -len(suf)]
            out += [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                out.append(stem[:-1])
    if w.endswith("ness"):
        out.append(w[:-4])
    return out
