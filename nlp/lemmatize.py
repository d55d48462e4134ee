"""Light rule-based English normalisation for matching.

A blank spaCy pipeline has no lemmatizer, so topic phrases and comment tokens are both reduced
to a *match key* by the same few rules: plural and verb inflections are stripped (invoices,
invoicing, invoiced -> ``invoic``), a final ``e`` and ``y`` are folded so base forms agree with their
inflections (invoice -> ``invoic``; reply, replies, replied -> ``repli``). Keys are not words; they only
need to agree between a phrase and its inflected forms. Derivations (integrate / integration) are
left to the taxonomy's phrase lists on purpose: stemming them away causes false positives.
"""

from __future__ import annotations

_VOWELS = frozenset("aeiouy")
# Irregular forms customers actually write about software; keys of the value are used.
_IRREGULAR = {
    "paid": "pay",
    "bought": "buy",
    "went": "go",
    "gone": "go",
    "took": "take",
    "taken": "take",
    "ran": "run",
    "broke": "break",
    "broken": "break",
    "sent": "send",
    "spent": "spend",
    "built": "build",
    "lost": "lose",
    "made": "make",
    "gave": "give",
    "given": "give",
    "got": "get",
    "gotten": "get",
    "froze": "freeze",
    "frozen": "freeze",
    "hung": "hang",
    "nt": "n't",
    "n’t": "n't",
    "use": "us",
    "menus": "menu",
    "wrote": "write",
    "written": "write",
    "taught": "teach",
    "children": "child",
    "people": "person",
    "men": "man",
    "women": "woman",
    "feet": "foot",
    "mice": "mouse",
    "data": "data",
    "media": "media",
}
# Words that merely look inflected: stripping them would merge unrelated words (news -> new).
_KEEP = frozenset(
    [
        "news",
        "series",
        "species",
        "always",
        "perhaps",
        "analytics",
        "sales",
        "ios",
        "macos",
        "windows",
        "https",
        "http",
        "status",
        "bus",
        "canvas",
        "atlas",
        "alias",
        "bonus",
        "campus",
        "focus",
        "virus",
        "census",
        "thesis",
        "analysis",
        "basis",
        "axis",
        "chaos",
        "lens",
        "yes",
        "has",
        "was",
        "is",
        "this",
        "its",
        "his",
        "hers",
        "ours",
        "yours",
        "theirs",
        "us",
        "gas",
        "plus",
        "minus",
        "thus",
        "less",
        "business",
        "process",
        "access",
        "success",
        "address",
        "express",
        "progress",
        "class",
        "glass",
        "pass",
        "boss",
        "loss",
        "bring",
        "thing",
        "string",
        "sing",
        "king",
        "ring",
        "spring",
        "sling",
        "wing",
        "swing",
        "during",
        "nothing",
        "something",
        "anything",
        "everything",
        "morning",
        "evening",
        "ceiling",
    ]
)
_NO_UNDOUBLE = frozenset("lsz")


def _has_vowel(stem: str) -> bool:
    return any(c in _VOWELS for c in stem)


def _undouble(stem: str) -> str:
    # running -> runn -> run, but billing -> bill (Porter keeps ll/ss/zz).
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS and stem[-1] not in _NO_UNDOUBLE:
        return stem[:-1]
    return stem


def _strip_inflection(w: str) -> str:
    """Remove one plural / verb suffix, or return ``w`` unchanged."""
    n = len(w)
    if n >= 5 and w.endswith(("ies", "ied")):
        return w[:-3] + "i"
    if n >= 5 and w.endswith("ing") and _has_vowel(w[:-3]):
        return _undouble(w[:-3])
    if w.endswith("eed"):
        return w
    if n >= 4 and w.endswith("ed") and _has_vowel(w[:-2]):
        return _undouble(w[:-2])
    if n >= 5 and w.endswith(("sses", "ches", "shes", "xes", "zes")):
        return w[:-2]
    if n >= 4 and w.endswith("s") and not w.endswith(("ss", "us", "sis", "'s")):
        return w[:-1]
    return w


_KEYS: dict[str, str] = {}  # a plain dict, not lru_cache: str -> str entries are invisible to the cyclic GC
MAX_KEYS = 200_000


def match_key(word: str) -> str:
    """Return the normalised match key of one token (lower case, inflection stripped); cached."""
    key = _KEYS.get(word)
    if key is None:
        if len(_KEYS) >= MAX_KEYS:
            _KEYS.clear()
        key = _KEYS[word] = _match_key(word)
    return key


def _match_key(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s") and len(w) > 3:
        w = w[:-2]
    elif w.endswith("s'") and len(w) > 3:
        w = w[:-1]
    if w in _IRREGULAR:
        w = _IRREGULAR[w]
        if len(w) <= 3:
            return w
    if not w.isalpha() or len(w) <= 3 or w in _KEEP:
        return w
    w = _strip_inflection(w)
    w = _IRREGULAR.get(w, w)
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    elif len(w) > 3 and w.endswith("y") and w[-2] not in _VOWELS:
        w = w[:-1] + "i"
    return w


def singular(word: str) -> str:
    """Return a readable singular of a lower-case noun (for keyphrase display, not matching)."""
    w = word
    if len(w) <= 3 or w in _KEEP or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "ches", "shes", "xes", "zes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w
