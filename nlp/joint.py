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
    """Both models' per-sentence logits in one pass (see the module docstring)."""

    def __init__(self, intent_model, sentence_model) -> None:
        self.intent_model = intent_model
        self.sentence_model = sentence_model
        pairs: dict[tuple[str, str], tuple] = {k: (r, None) for k, r in intent_model._bigrams.items()}
        for k, r in sentence_model._bigrams.items():
            old = pairs.get(k)
            pairs[k] = (old[0] if old is not None else None, r)
        self._pairs = pairs
        self._words: tuple[dict[str, tuple], dict[str, tuple]] = ({}, {})

    def _word(self, x: tuple, neg: bool) -> tuple:
        """(intent vector, sentence-model vector) of a token, as each model's own lookup gives them."""
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
        pair = words[low] = (iv, sv)
        return pair

    def sentences(self, infos: list[tuple], sentences: list[tuple[int, int]]) -> list[tuple]:
        """Per sentence ``(a, b)``: (intent logits, intent contributions or None, sentiment sparse logits),
        as ``IntentModel.logits(infos, a, b)`` and ``SentenceSentiment._logits(infos, a, b)`` return them."""
        im = self.intent_model
        plain, negated = self._words
        pairs, word = self._pairs, self._word
        ibias, firsts, iquest = im._bias, im._firsts, im._quest
        sbias = self.sentence_model._bias
        out = []
        for a, b in sentences:
            vecs = [ibias]
            owners = [-1]
            z0, z1, z2 = sbias
            prev = "<s>"
            first = None
            quest = neg = False
            for i in range(a, b):
                x = infos[i]
                f = x[FLAGS]
                if f & F_SPACE:
                    continue
                lower = x[LOWER]
                iv, sv = (negated if neg else plain).get(lower) or word(x, neg)
                vecs.append(iv)
                owners.append(i)
                z0 += sv[0]
                z1 += sv[1]
                z2 += sv[2]
                r = pairs.get((prev, lower))
                if r is not None:
                    ir, sr = r
                    if ir is not None:
                        vecs.append(ir)
                        owners.append(i)
                    if sr is not None:
                        z0 += sr[0]
                        z1 += sr[1]
                        z2 += sr[2]
                if f & F_QUEST:
                    quest = True
                if first is None:
                    first = lower
                prev = lower
                if f & (SCOPE_STOP | F_END):
                    neg = False
                elif f & (F_NEG | F_NO):
                    neg = True
            if first is None:
                out.append((list(ibias), None, (z0, z1, z2)))
                continue
            r = firsts.get(first)
            if r is not None:
                vecs.append(r)
                owners.append(-1)
            if quest:
                vecs.append(iquest)
                owners.append(-1)
            out.append(([sum(col) for col in zip(*vecs, strict=True)], (owners, vecs), (z0, z1, z2)))
        return out
