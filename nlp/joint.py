"""One pass over an English sentence's tokens for both learned models: the intent model's logits (with
their contributions, for evidence) and the sentence sentiment model's sparse logits.

Each model alone walks the sentence, looks every token up in its own per-word cache and every word pair
in its own bigram table; here one cache holds both models' vectors of a word (per negation state) and one
table both models' rows of a pair, so a token costs one lookup and a pair one. The sums are taken in the
same order as :meth:`nlp.intent.IntentModel.logits` and :meth:`nlp.sentiment_model.SentenceSentiment._logits`
(same floats), and a word's vectors come from the models' own caches (the same first-seen form).
"""

from __future__ import annotations

from nlp.flags import F_END, F_NEG, F_NO, F_QUEST, F_SPACE, FLAGS, LOWER, SCOPE_STOP

MAX_WORDS = 100_000  # per negation state: bounded memory on adversarial vocabularies


class JointLogits:
    """Both models' per-sentence logits in one pass (see the module docstring).

    A word's entry holds one row with both models' vectors side by side (the intent model's labels, then
    the sentence model's three classes) and the bigram rows of the pairs it starts (keyed by the next
    word, so no pair key is built per token); a pair only one model knows has zeros in the other's
    columns. The columns are summed in the order the models sum them, and adding 0.0 changes no float,
    so the logits are the models' own."""

    def __init__(self, intent_model, sentence_model) -> None:
        self.intent_model = intent_model
        self.sentence_model = sentence_model
        self._ni = ni = intent_model.n
        zi, zs = (0.0,) * ni, (0.0, 0.0, 0.0)
        pairs: dict[tuple[str, str], tuple] = {k: (r, None) for k, r in intent_model._bigrams.items()}
        for k, r in sentence_model._bigrams.items():
            old = pairs.get(k)
            pairs[k] = (old[0] if old is not None else None, r)
        self._pairs = pairs
        # the rows of the pairs each word starts, by the next word
        self._next: dict[str, dict[str, tuple]] = {}
        for (prev, low), (ir, sr) in pairs.items():
            row = tuple(ir if ir is not None else zi) + tuple(sr if sr is not None else zs)
            self._next.setdefault(prev, {})[low] = row
        self._bias = tuple(intent_model._bias) + tuple(sentence_model._bias)
        self._firsts = {w: tuple(r) + zs for w, r in intent_model._firsts.items()}
        self._quest = tuple(intent_model._quest) + zs
        self._words: tuple[dict[str, tuple], dict[str, tuple]] = ({}, {})

    def _word(self, x: tuple, neg: bool) -> tuple:
        """(both models' vectors of a token in one row, the rows of the pairs it starts), as each model's
        own lookup gives the vectors."""
        words = self._words[neg]
        if len(words) > MAX_WORDS:
            words.clear()
        im, sm = self.intent_model, self.sentence_model
        low = x[LOWER]
        iv = im._tok[neg].get(low) or im.token_vec(x, neg)
        cache = sm._negated if neg else sm._plain
        sv = cache.get(low)
        if sv is None:
            if len(cache) > 200_000:
                cache.clear()
            sv = cache[low] = sm.token_vec(x, neg)
        entry = words[low] = (tuple(iv) + tuple(sv), self._next.get(low))
        return entry

    def sentences(self, infos: list[tuple], sentences: list[tuple[int, int]]) -> list[tuple]:
        """Per sentence ``(a, b)``: (intent logits, intent contributions or None, sentiment sparse logits),
        as ``IntentModel.logits(infos, a, b)`` and ``SentenceSentiment._logits(infos, a, b)`` return them
        (the contributions' rows carry the sentence model's columns after the intent labels')."""
        plain, negated = self._words
        word = self._word
        bias, firsts, quest_row = self._bias, self._firsts, self._quest
        start = self._next.get("<s>")
        ni = self._ni
        out = []
        for a, b in sentences:
            vecs = [bias]
            owners = [-1]
            after = start
            first = None
            quest = neg = False
            for i in range(a, b):
                x = infos[i]
                f = x[FLAGS]
                if f & F_SPACE:
                    continue
                lower = x[LOWER]
                row, nxt = (negated if neg else plain).get(lower) or word(x, neg)
                vecs.append(row)
                owners.append(i)
                if after is not None:
                    r = after.get(lower)
                    if r is not None:
                        vecs.append(r)
                        owners.append(i)
                after = nxt
                if f & F_QUEST:
                    quest = True
                if first is None:
                    first = lower
                if f & (SCOPE_STOP | F_END):
                    neg = False
                elif f & (F_NEG | F_NO):
                    neg = True
            if first is None:
                out.append((list(bias[:ni]), None, bias[ni:]))
                continue
            r = firsts.get(first)
            if r is not None:
                vecs.append(r)
                owners.append(-1)
            if quest:
                vecs.append(quest_row)
                owners.append(-1)
            z = [sum(col) for col in zip(*vecs, strict=True)]
            out.append((z[:ni], (owners, vecs), tuple(z[ni:])))
        return out
