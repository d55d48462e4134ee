"""Fast language guess: Unicode script first, then a stop-word profile for Latin-script languages.

Survey pages are sent in English, German, French and Spanish, so those (plus Italian, Portuguese and Dutch,
which customers also write) are told apart by their most frequent function words and a few letters
(ß, ñ, ç...). This is a few dict lookups per token: no model, no measurable cost. Texts with no evidence at
all (emoji only, "ok", numbers) are reported as English, the survey default.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from nlp.ngrams import GramTable

_PROFILES = {
    "en": "the a an and or but is are was were be been it this that these those of to in on for with "
    "i you we they he she my our your their me us not no very so just have has had do does did "
    "would could should can will what when where which who why how all any some there here from "
    "at by as if about too also really great good bad love like easy hard support thanks thank super ok",
    "de": "der die das den dem des ein eine einen einem einer und oder aber ist sind war waren nicht "
    "kein keine sehr ich du wir ihr sie es mit für auf aus bei nach von zu zum zur im ins wie "
    "was wenn dass auch noch nur schon gut schlecht toll super danke bitte leider immer habe "
    "haben hat wird werden kann können man mehr alles",
    "fr": "le la les un une des du de et ou mais est sont était pas ne très je tu nous vous ils elles "
    "il elle avec pour sur dans par que qui quoi quand comme aussi bien mal merci toujours "
    "encore seulement ce cette ces mon ma mes notre votre leur au aux c'est j'ai trop peu tout",
    "es": "el la los las un una unos unas y o pero es son era fue no muy yo tú nosotros ellos ella "
    "con para por en de del al que qué cuando como también bien mal gracias siempre todavía "
    "solo este esta estos estas mi mis nuestro su sus lo le se hay está están muy pero",
    "it": "il lo la gli le un una e o ma è sono era non molto io tu noi voi loro con per su in di "
    "del della che quando come anche bene male grazie sempre ancora solo questo questa mio",
    "pt": "o a os as um uma e ou mas é são era não muito eu você nós eles elas com para por em de do "
    "da dos das que quando como também bem mal obrigado obrigada sempre ainda só este esta meu",
    "nl": "de het een en of maar is zijn was waren niet geen heel erg ik jij wij jullie zij met voor "
    "op uit bij naar van te om hoe wat als dat ook nog alleen goed slecht bedankt altijd",
}
PROFILE_WORDS: dict[str, tuple[str, ...]] = {}
for _lang, _words in _PROFILES.items():
    for _w in set(_words.split()):
        PROFILE_WORDS[_w] = (*PROFILE_WORDS.get(_w, ()), _lang)

_LETTER_HINTS = {
    "ß": "de",
    "ä": "de",
    "ö": "de",
    "ü": "de",
    "ñ": "es",
    "¿": "es",
    "¡": "es",
    "ç": "fr",
    "œ": "fr",
    "è": "fr",
    "ê": "fr",
    "à": "fr",
    "ù": "fr",
    "ã": "pt",
    "õ": "pt",
}


def _script_language(text: str) -> str | None:
    """Language implied by a non-Latin script that dominates the letters, if any."""
    head = text[:2000]
    if not head or max(head) < "\u0250":
        return None  # Latin letters only (the scan below would count none): no script to find
    counts: dict[str, int] = {}
    letters = 0
    for ch in head:
        if not ch.isalpha():
            continue
        letters += 1
        o = ord(ch)
        if o < 0x250:
            continue
        name = unicodedata.name(ch, "")
        script = name.split(" ", 1)[0]
        if "HIRAGANA" in name or "KATAKANA" in name:
            script = "JA"
        counts[script] = counts.get(script, 0) + 1
    if not counts or letters == 0:
        return None
    script, n = max(counts.items(), key=lambda kv: kv[1])
    if n * 2 < letters:
        return None
    if script == "CJK":
        return "ja" if counts.get("JA") else "zh"
    return _SCRIPT_CODES.get(script, "und")


_SCRIPT_CODES = {
    "CYRILLIC": "ru",
    "GREEK": "el",
    "ARABIC": "ar",
    "HEBREW": "he",
    "JA": "ja",
    "HANGUL": "ko",
    "THAI": "th",
    "DEVANAGARI": "hi",
    "BENGALI": "bn",
    "TAMIL": "ta",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
}


def detect_language(text: str, lowers: list[str]) -> str:
    """Return an ISO 639-1 code for a text given its lower-cased tokens ("en" when there is no evidence)."""
    return detect_from_profiles(text, [PROFILE_WORDS.get(w) for w in lowers])


def detect_language_nb(
    text: str, profiles: list[tuple[str, ...] | None], words: list[str], check: bool, stated: str = "en"
) -> str:
    """The analyser's guess: a non-Latin script or an Italian/Portuguese/Dutch stop-word profile wins;
    otherwise English, German, French or Spanish by naive Bayes over the words (``check``: the doc has
    a non-ASCII letter or a foreign function word, else only naive Bayes runs). ``stated``: the language
    the caller says the text is in (the survey's), the default that another guess must clearly beat;
    English unless given. With German, French or Spanish stated, the Italian/Portuguese/Dutch stop-word
    profiles no longer override it (short Spanish tweets with "te", "dos", "que" looked Dutch or
    Portuguese to them); a non-Latin script still does."""
    if check:
        guess = detect_from_profiles(text, profiles)
        if guess not in ("en", "de", "fr", "es") and (stated == "en" or guess not in _PROFILES):
            return guess
    nb = naive_bayes()
    if nb is None:
        return detect_from_profiles(text, profiles) if check else stated
    return nb.guess(words, stated)


def detect_from_profiles(text: str, profiles: list[tuple[str, ...] | None]) -> str:
    """Like :func:`detect_language`, given each token's profile languages (precomputed per token)."""
    ascii_text = text.isascii()
    if not ascii_text:
        by_script = _script_language(text)
        if by_script is not None:
            return by_script
    if ascii_text and not any(profiles):
        return "en"
    scores = dict.fromkeys(_PROFILES, 0.0)
    for langs in profiles:
        if langs:
            share = 1.0 / len(langs)
            for lang in langs:
                scores[lang] += share
    if not ascii_text:
        for ch, lang in _LETTER_HINTS.items():
            if ch in text:
                scores[lang] += 0.75
    best = max(scores, key=scores.__getitem__)
    if scores[best] <= scores["en"] or scores[best] < 1.0:
        return "en"
    return best


class NaiveBayes:
    """Word + character-n-gram naive Bayes over English, German, French and Spanish (see nlp.langid_train).

    A word's score vector is computed once and cached; a text's is the sum over its words. A guess other
    than English must beat English by ``margin`` nats per word (short comments default to English, the
    survey default, unless they clearly are not).
    """

    def __init__(self, tables: dict) -> None:
        self.langs = tuple(tables["languages"])
        self.words = tables["words"]
        self.grams = tables["grams"]
        self.unseen_word = tables["unseen_word"]
        self.unseen_gram = tables["unseen_gram"]
        self.margin = float(tables.get("margin", 1.0))
        self._cache: dict[str, tuple[float, ...]] = {}
        # the cached words that score English at least as high as every other language: a text of only
        # such words sums English highest (rounded addition is monotonic; at worst a few ulps off, far
        # below the margin), so its guess, with English the default, is English without the sums
        self._en = self.langs.index("en") if "en" in self.langs and self.margin > 0 else None
        self._en_top: set[str] = set()
        # every gram's log-probabilities in all languages in one row (unseen ones filled in): one dict
        # lookup per gram of a new word instead of one per gram and language
        unseen = tuple(self.unseen_gram[lang] for lang in self.langs)
        grams = set().union(*(self.grams[lang] for lang in self.langs))
        self._unseen_row = unseen
        self._rows = {
            g: tuple(self.grams[lang].get(g, u) for lang, u in zip(self.langs, unseen, strict=True))
            for g in grams
        }
        # the same rows as one matrix (the last row: a gram no language has seen) and each gram's row
        # number, and every known word's per-language word scores in one row: :meth:`score_words`
        # scores a batch's new words with one gather and one segmented sum instead of Python loops
        self._gram_row = {g: k for k, g in enumerate(self._rows)}
        self._gram_table = GramTable(self._gram_row, 4)  # the same as numbers (score_words)
        rows = [*self._rows.values(), unseen]
        self._gram_matrix = np.array(rows, dtype=np.float64).reshape(-1, len(unseen))
        unseen_w = tuple(self.unseen_word[lang] for lang in self.langs)
        self._unseen_word_row = unseen_w
        self._word_rows = {
            w: tuple(self.words[lang].get(w, u) for lang, u in zip(self.langs, unseen_w, strict=True))
            for w in set().union(*(self.words[lang] for lang in self.langs))
        }

    def word_scores(self, word: str) -> tuple[float, ...]:
        """Log-likelihood of one lower-case word under each language (cached)."""
        v = self._cache.get(word)
        if v is None:
            if len(self._cache) > 200_000:
                self._cache.clear()
                self._en_top.clear()
            s = f"<{word}>"
            gs = [s[i : i + n] for n in (1, 2, 3, 4) for i in range(len(s) - n + 1)]
            k = len(gs)
            rows = self._rows
            get, unseen = rows.get, self._unseen_row
            # per language: the sum over the grams in order (as a per-language loop would add them)
            cols = zip(*[get(g, unseen) for g in gs], strict=True) if gs else ((),) * len(self.langs)
            out = []
            for lang, col in zip(self.langs, cols, strict=True):
                g = sum(col) / max(1, k) * 4
                w = self.words[lang].get(word, self.unseen_word[lang])
                out.append(g + w)
            v = self._cache[word] = tuple(out)
            if self._en is not None and v[self._en] >= max(v):
                self._en_top.add(word)
        return v

    def score_words(self, words) -> None:
        """Compute and cache the scores of the words not cached yet, all at once (a batch's new words):
        the same values as :meth:`word_scores` (each language's gram sum is taken in the grams' order)."""
        cache = self._cache
        new = [w for w in dict.fromkeys(words) if w not in cache]
        if len(new) < 2:
            for w in new:
                self.word_scores(w)
            return
        if len(cache) + len(new) > 200_000:
            cache.clear()
            self._en_top.clear()
        # words of one length have the same number of grams: one (words, grams, languages) gather per
        # length, summed over the grams axis in their order (as word_scores' sum adds them)
        by_len: dict[int, list[str]] = {}
        for w in new:
            by_len.setdefault(len(w), []).append(w)
        matrix, none = self._gram_matrix, len(self._gram_row)
        get, unseen = self._word_rows.get, self._unseen_word_row
        table = self._gram_table
        bits = table.bits
        for ws in by_len.values():
            # each word's grams' rows in its grams' order (n = 1..4, then position), all the words' at once:
            # the grams as numbers (nlp.ngrams), a row of digits per padded word
            width = len(ws[0]) + 2
            digits = table.digits("".join([f"<{w}>" for w in ws])).reshape(len(ws), width)
            code = digits
            parts = []
            for n in range(1, 5):
                if n > 1:
                    code = code[:, : width - n + 1] | (digits[:, n - 1 :] << (bits * (n - 1)))
                parts.append(table.lookup(code, none))
            rows = np.concatenate(parts, axis=1)
            k = rows.shape[1]
            sums = matrix.take(rows.ravel(), axis=0).reshape(len(ws), k, -1).sum(axis=1)
            prior = np.array([get(w, unseen) for w in ws], dtype=np.float64)
            scores = sums / max(1, k) * 4 + prior
            rows = list(map(tuple, scores.tolist()))
            cache.update(zip(ws, rows, strict=True))
            if self._en is not None:
                e = self._en
                self._en_top.update(w for w, v in zip(ws, rows, strict=True) if v[e] >= max(v))

    def guess(self, words: list[str], default: str = "en") -> str:
        """The language of a list of lower-case words: ``default`` (the stated language, else English)
        unless another language beats it by ``margin`` nats per word, or when there are no words."""
        if not words or (len(words) == 1 and words[0].isascii()):
            return default  # one plain word ("Super!", "ok") is no evidence against the survey's language
        if default == "en" and self._en is not None and all(map(self._en_top.__contains__, words)):
            return "en"  # English sums highest: no language beats it (see ``_en_top``)
        vecs = list(map(self._cache.get, words))  # map: no Python frame per known word
        if None in vecs:
            score = self.word_scores
            vecs = [v or score(w) for v, w in zip(vecs, words, strict=True)]
        totals = list(map(sum, zip(*vecs, strict=True)))  # each language's sum in the words' order
        best = max(range(len(totals)), key=totals.__getitem__)
        d = self.langs.index(default) if default in self.langs else 0
        if best == d or (totals[best] - totals[d]) / len(words) < self.margin:
            return self.langs[d]
        return self.langs[best]


_NB: list[NaiveBayes | None] = []


def use_naive_bayes(model: NaiveBayes | None) -> None:
    """Adopt a model equal to :func:`naive_bayes`'s (as read back from the NLP cache, nlp.cache)."""
    if not _NB:
        _NB.append(model)


def naive_bayes() -> NaiveBayes | None:
    """The shipped profiles (``nlp/data/langid.json.gz``), loaded once; None when absent."""
    if not _NB:
        import gzip
        import json
        from importlib import resources

        ref = resources.files("nlp.data").joinpath("langid.json.gz")
        _NB.append(json.loads(gzip.decompress(ref.read_bytes())) if ref.is_file() else None)
        if _NB[0] is not None:
            _NB[0] = NaiveBayes(_NB[0])
    return _NB[0]
