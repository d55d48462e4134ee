"""Keyphrases without a tagger: short runs of content words, cut at stop words, punctuation and opinion
words ("the new dashboard is great" -> "new dashboard"). With a parser (an installed pipeline) the
analyser uses noun chunks instead."""

from __future__ import annotations

from nlp.flags import F_ALPHA, F_CONTENT, F_NEG, F_STOP, F_UPPER, FLAGS, LOWER
from nlp.lemmatize import singular

MAX_WORDS = 3
SINGULAR = 10  # position of the singular form in nlp.tokens info tuples
# Frequent verbs/fillers the stop-word list lacks; without POS tags they would pass as phrases.
_NOT_CONTENT = frozenset(
    [
        "tried",
        "try",
        "trying",
        "want",
        "wanted",
        "wants",
        "need",
        "needed",
        "needs",
        "use",
        "used",
        "uses",
        "using",
        "get",
        "gets",
        "got",
        "getting",
        "make",
        "makes",
        "made",
        "making",
        "take",
        "takes",
        "took",
        "think",
        "thought",
        "know",
        "knew",
        "feel",
        "felt",
        "seem",
        "seems",
        "seemed",
        "like",
        "likes",
        "liked",
        "love",
        "loved",
        "hate",
        "hated",
        "find",
        "found",
        "keep",
        "keeps",
        "kept",
        "let",
        "lets",
        "go",
        "goes",
        "going",
        "went",
        "come",
        "came",
        "see",
        "saw",
        "look",
        "looks",
        "looking",
        "say",
        "said",
        "tell",
        "told",
        "give",
        "gave",
        "wish",
        "hope",
        "able",
        "unable",
        "many",
        "much",
        "lot",
        "lots",
        "thing",
        "things",
        "stuff",
        "way",
        "bit",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "time",
        "times",
        "everything",
        "anything",
        "something",
        "nothing",
        "everyone",
        "someone",
        "anyone",
        "guys",
        "guy",
        "im",
        "ive",
        "dont",
        "cant",
        "doesnt",
        "didnt",
        "isnt",
        "wont",
        "thanks",
        "thank",
        "please",
        "yes",
        "okay",
        "etc",
        "overall",
        "definitely",
        "actually",
        "probably",
        "maybe",
        "still",
        "even",
        "already",
        "always",
        "sometimes",
    ]
)
_GENERIC_SINGLE = frozenset(
    ["product", "app", "tool", "software", "platform", "company", "team", "service", "system"]
)


def is_content(lower: str, f: int, valence: float) -> bool:
    """Whether a token can be part of a keyphrase (computed once per token type)."""
    if not f & F_ALPHA or f & (F_STOP | F_NEG) or valence:
        return False
    if lower in _NOT_CONTENT or (lower.endswith("ly") and len(lower) > 4):
        return False
    return len(lower) >= 3 or bool(f & F_UPPER)


def extract(infos: list[tuple], flags: list[int] | None = None, limit: int = 5) -> list[str]:
    """Return up to ``limit`` distinct keyphrases in order of appearance (multi-word ones first)."""
    if flags is None:
        flags = [x[FLAGS] for x in infos]
    content = [i for i, f in enumerate(flags) if f & F_CONTENT]
    if not content:
        return []
    multi: list[str] = []
    single: list[str] = []
    start = prev = content[0]
    for i in [*content[1:], -2]:
        if i == prev + 1:
            prev = i
            continue
        a = max(start, prev + 1 - MAX_WORDS)
        if a == prev:
            word = infos[prev][SINGULAR]
            if word not in _GENERIC_SINGLE:
                single.append(word)
        else:
            multi.append(" ".join([*(x[LOWER] for x in infos[a:prev]), infos[prev][SINGULAR]]))
        start = prev = i
    # multi-word first, then single words, each in order of appearance
    return list(dict.fromkeys(multi + single))[:limit]


def from_noun_chunks(doc, limit: int = 5) -> list[str]:
    """Keyphrases from a parsed doc's noun chunks (determiners, pronouns and opinion words removed)."""
    out: list[str] = []
    for chunk in doc.noun_chunks:
        words = [t.lower_ for t in chunk if t.pos_ in ("NOUN", "PROPN", "ADJ") and not t.is_stop]
        if words and not (len(words) == 1 and words[0] in _GENERIC_SINGLE):
            words[-1] = singular(words[-1])
            out.append(" ".join(words[-MAX_WORDS:]))
    return list(dict.fromkeys(out))[:limit]
