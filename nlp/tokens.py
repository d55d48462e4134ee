"""Per-token facts computed once per distinct token string and cached (the analyser's hot path).

Looking a token up in this table costs one dict access; everything the sentiment scorer, topic matcher,
language guesser and keyphrase extractor need about a token is in the tuple it returns.
"""

from __future__ import annotations

from spacy.lang.en.stop_words import STOP_WORDS

from nlp.flags import (
    F_ALPHA,
    F_ALSO,
    F_BUT,
    F_CLITIC,
    F_COMMA,
    F_CONTENT,
    F_END,
    F_EXCL,
    F_FOREIGN,
    F_FUZZY,
    F_HARD,
    F_HOOK,
    F_HYPHEN,
    F_LEAST,
    F_MWE,
    F_NEG,
    F_NO,
    F_NONASCII,
    F_QUEST,
    F_SOFT,
    F_SPACE,
    F_STOP,
    F_SUB,
    F_UPPER,
    F_VALTOK,
)
from nlp.keyphrases import is_content
from nlp.language import PROFILE_WORDS
from nlp.lemmatize import match_key, singular
from nlp.lexicon import (
    BOOSTERS,
    CLITICS,
    CONTRAST,
    NEGATIONS,
    SUBORDINATE,
    Lexicon,
    squeezed,
)
from nlp.matcher import TopicMatcher

_ENDS = frozenset({".", "!", "?", "…", "...", "..", "?!", "!?", "。", "！", "？"})
_HARD = frozenset({";", ":", "—", "–", "--", "•"})
_SOFT = frozenset({"and", "&", "plus"})
_INVISIBLE = frozenset("\ufe0f\ufe0e\u200d\u200c\u200b\u2060") | frozenset(
    chr(c) for c in range(0x1F3FB, 0x1F400)
)
MAX_CACHE = 300_000


# the flags a word has by its lower case alone (stop word, negation, contrast, ...): one dict lookup
_BY_LOWER: dict[str, int] = {}
for _words, _bit in (
    (_SOFT, F_SOFT),
    (("also",), F_ALSO),
    (CONTRAST, F_BUT),
    (SUBORDINATE, F_SUB),
    (NEGATIONS, F_NEG),
    (("least",), F_LEAST),
    (("no", "zero"), F_NO),  # determiners that negate the noun after them ("zero issues")
    (CLITICS, F_CLITIC),
    (STOP_WORDS, F_STOP),
):
    for _w in _words:
        _BY_LOWER[_w] = _BY_LOWER.get(_w, 0) | _bit
del _words, _bit, _w


def _flags(text: str, lower: str) -> int:
    """The flags of a token's text (``lower``: its lower case)."""
    if text.isalnum():  # letters and digits only (most words): no space, punctuation or boundary flag
        f = _BY_LOWER.get(lower, 0)
        if text.isalpha():
            f |= F_ALPHA
            if len(text) > 1 and text.isupper():
                f |= F_UPPER
        # only non-ASCII *letters* are language evidence (not emoji, dashes or curly quotes)
        if not text.isascii() and any(c.isalpha() and not c.isascii() for c in text):
            f |= F_NONASCII
        return f
    f = 0 if text.isascii() or not any(c.isalpha() and not c.isascii() for c in text) else F_NONASCII
    if not text.strip() or all(c in _INVISIBLE for c in text):
        f |= F_SPACE
        if "\n" in text:
            f |= F_END
        return f
    if text in _ENDS or (len(text) > 1 and all(c in "!?." for c in text)):
        f |= F_END
    if "!" in text and all(c in "!?" for c in text):
        f |= F_EXCL
    if "?" in text and all(c in "!?" for c in text):
        f |= F_QUEST
    if text in _HARD:
        f |= F_HARD
    if text == ",":
        f |= F_COMMA
    if text == "-":
        f |= F_HYPHEN
    return f | _BY_LOWER.get(lower, 0)  # (not alphabetic: that needs isalnum())


def _booster(lower: str) -> float:
    """Booster scalar of a word, also when elongated ("sooo", "reallyyy")."""
    b = BOOSTERS.get(lower)
    if b is None:
        b = next((BOOSTERS[w] for w in squeezed(lower) if w in BOOSTERS), 0.0)
    return b


class TokenTable:
    """Cache: token -> (lower, valence, negated valence, booster, flags, match key, fuzzy?, length,
    languages whose stop-word profile has the word, topic-matcher hooks, singular (keyphrases),
    multi-word expressions anchored at the word, taxonomy patterns the word can start, pattern
    requirement bits)."""

    def __init__(self, lexicon: Lexicon, matcher: TopicMatcher | None, known: dict | None = None) -> None:
        self.lexicon = lexicon
        self.matcher = matcher
        # orth id (int) or text (str) -> info tuple; ``known``: entries computed by an earlier table with
        # the same lexicon and matcher (the NLP cache's; orth ids are hashes of the text, the same in
        # every process)
        self._cache: dict = known if known is not None else {}
        # every prefix the matcher's hooks, starts and reqs test a word for: a word starting with none
        # (nearly all) needs only their dict lookups by key (:meth:`_topic_facts`)
        self._prefixes = (
            ()
            if matcher is None
            else tuple(
                {
                    *matcher.prefixes,
                    *(pre for pre, _ in matcher._start_prefixes),
                    *(pre for pre, _ in matcher._prefix_bits),
                }
            )
        )

    def infos(self, orths: list[int], strings) -> list[tuple]:
        """Info tuples for a doc's token ids (``[t.orth for t in doc]``), computed on first sight."""
        cache = self._cache
        out = list(map(cache.get, orths))  # map: no Python frame per token
        if None in out:
            for i, o in enumerate(orths):
                if out[i] is None:
                    out[i] = self.info_for(o, strings[o])
        return out

    def info_for(self, orth: int, text: str) -> tuple:
        """Compute and cache the info tuple of one token string (keyed by its orth id)."""
        hit = self._compute(text)
        if len(self._cache) >= MAX_CACHE:
            self._cache.clear()  # bounded memory on adversarial vocabularies
        self._cache[orth] = hit
        return hit

    def info(self, text: str) -> tuple:
        """Return the cached info tuple for one token's text."""
        hit = self._cache.get(text)
        if hit is None:
            hit = self._compute(text)
            if len(self._cache) >= MAX_CACHE:
                self._cache.clear()  # bounded memory on adversarial vocabularies
            self._cache[text] = hit
        return hit

    def _topic_facts(self, text: str, lower: str, flags: int) -> tuple:
        """(match key, typo-corrected?, matcher hooks, patterns it can start, pattern requirement bits,
        flags with F_FUZZY/F_HOOK)."""
        key = match_key(text)
        if self.matcher is None:
            return key, False, None, (), 0, flags
        fuzzy = False
        if flags & F_ALPHA:
            key, fuzzy = self.matcher.correct(lower, key)
            if fuzzy:
                flags |= F_FUZZY
        m = self.matcher
        if lower.startswith(self._prefixes):
            hooks, starts, reqs = m.hooks(lower, key), m.starts(lower, key), m.reqs(lower, key)
        else:  # what TopicMatcher.hooks, .starts and .reqs return for a word with none of their prefixes
            entry, anchored = m.trie.get(key), m.anchors.get(key, ())
            hooks = None if entry is None and not anchored else (entry, tuple(sorted(set(anchored))))
            starts = tuple(sorted(set(m._start_words.get(key, ()))))
            reqs = m._word_bits.get(key, 0)
        if hooks is not None:
            flags |= F_HOOK
        return key, fuzzy, hooks, starts, reqs, flags

    def _compute(self, text: str) -> tuple:
        lower = text.lower()
        lex = self.lexicon
        val = lex.valence.get(text) if not text.isalpha() else None  # case-sensitive emoticons (":D")
        if val is None:
            val = lex.word_valence(lower)
        negval = lex.negated.get(lower)
        flags = _flags(text, lower)
        mwes = lex.mwe_anchors.get(lower, ())
        if mwes or flags & F_HYPHEN:
            flags |= F_MWE
        if val or negval is not None:
            flags |= F_VALTOK
        profile = PROFILE_WORDS.get(lower)
        if profile and "en" not in profile:
            flags |= F_FOREIGN
        if is_content(lower, flags, val):
            flags |= F_CONTENT
        key, fuzzy, hooks, starts, reqs, flags = self._topic_facts(text, lower, flags)
        sing = singular(lower) if flags & F_CONTENT else lower
        return (
            lower,
            val,
            negval,
            _booster(lower),
            flags,
            key,
            fuzzy,
            len(text),
            profile,
            hooks,
            sing,
            mwes,
            starts,
            reqs,
        )
