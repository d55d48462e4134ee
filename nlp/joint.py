"""One pass over an English sentence's tokens for both learned models: the intent model's logits (with
their contributions, for evidence) and the sentence sentiment model's sparse logits, for a whole batch of
docs at once.

Each model alone walks the sentence, looks every token up in its own per-word cache and every word pair
in its own bigram table; here one cache holds both models' vectors of a word (per negation state) and one
table both models' rows of a pair, so a token costs one lookup and a pair one. Every row (a word's, a
pair's, the bias, ...) has a number in one table, and a sentence is the list of its rows' numbers: the
batch's sentences are summed together with numpy, column by column, adding each sentence's rows one after
the other from 0.0 in the order the models sum them (:meth:`nlp.intent.IntentModel.logits`,
:meth:`nlp.sentiment_model.SentenceSentiment._logits`): the same float additions in the same order as
``sum(col)`` over the rows, so the same floats; a word's vectors come from the models' own caches (the same
first-seen form).
"""

from __future__ import annotations

import numpy as np

from nlp.flags import F_END, F_NEG, F_NO, F_QUEST, F_SPACE, FLAGS, LOWER, SCOPE_STOP

MAX_WORDS = 100_000  # per negation state: bounded memory on adversarial vocabularies
LONG = 96  # a sentence of more rows to sum is summed in Python (the numpy sums step through the longest)


def widen(keys: list[int], vals: list[float]) -> tuple[int, int]:
    """:func:`nlp.intent.evidence_span` from each token's (``keys``) summed contribution (``vals``)."""
    top = max(vals)
    best = vals.index(top)  # the first of equals, as max() gives it
    lo = hi = best
    while lo > 0 and hi - lo < 3 and vals[lo - 1] >= top / 2 > 0:
        lo -= 1
    while hi + 1 < len(vals) and hi - lo < 3 and vals[hi + 1] >= top / 2 > 0:
        hi += 1
    return keys[lo], keys[hi] + 1


class Contributions:
    """A sentence's contributions to the intent logits, from its batch's arrays (:meth:`JointLogits.batch`):
    per token its word row and the row of the pair it ends (0: none), and each token's sum of the two per
    label, ``(0.0 + word) + pair`` as :func:`nlp.intent.evidence_span` adds them up. :meth:`span` is that
    function's answer; unpacked, it is ``(owners, vectors)`` as :meth:`nlp.intent.IntentModel.logits` gives
    them (the token index of each summed row, -1 for the sentence-level ones, and the rows)."""

    __slots__ = ("batch", "extra", "t0", "t1")

    def __init__(self, batch: _Batch, t0: int, t1: int, extra: tuple[int, int]) -> None:
        self.batch = batch
        self.t0 = t0
        self.t1 = t1
        self.extra = extra  # the rows of the first word and of the question mark (0: none)

    def span(self, k: int) -> tuple[int, int]:
        """``nlp.intent.evidence_span(self, k)``, from the per-token sums of label ``k``."""
        bt = self.batch
        return widen(bt.toks[self.t0 : self.t1], bt.per_token[self.t0 : self.t1, k].tolist())

    def __iter__(self):
        bt = self.batch
        rows = bt.rows
        owners, vecs = [-1], [rows[bt.bias]]
        for p in range(self.t0, self.t1):
            i = bt.toks[p]
            owners.append(i)
            vecs.append(rows[bt.words[p]])
            if bt.pairs[p]:
                owners.append(i)
                vecs.append(rows[bt.pairs[p]])
        for r in self.extra:
            if r:
                owners.append(-1)
                vecs.append(rows[r])
        return iter((owners, vecs))


class _Batch:
    """The flat per-token arrays of one :meth:`JointLogits.batch` call."""

    __slots__ = ("bias", "pairs", "per_token", "rows", "toks", "words")

    def __init__(self, rows, bias, toks, words, pairs, per_token) -> None:
        self.rows = rows
        self.bias = bias
        self.toks = toks
        self.words = words
        self.pairs = pairs
        self.per_token = per_token


class JointLogits:
    """Both models' per-sentence logits in one pass (see the module docstring).

    A row holds both models' vectors side by side (the intent model's labels, then the sentence model's
    three classes); a pair only one model knows has zeros in the other's columns, and adding 0.0 changes
    no float, so the logits are the models' own. A word's entry holds its row's number and the numbers of
    the pairs it starts (keyed by the next word, so no pair key is built per token)."""

    def __init__(self, intent_model, sentence_model) -> None:
        self.intent_model = intent_model
        self.sentence_model = sentence_model
        self._ni = ni = intent_model.n
        self._width = ni + 3
        zi, zs = (0.0,) * ni, (0.0, 0.0, 0.0)
        self._rows: list[tuple] = [(0.0,) * self._width]  # row 0: zeros (the padding of short sentences)
        self._table = np.zeros((1024, self._width))
        self._written = 1  # rows in the table (row 0, zeros, is there already)
        pairs: dict[tuple[str, str], tuple] = {k: (r, None) for k, r in intent_model._bigrams.items()}
        for k, r in sentence_model._bigrams.items():
            old = pairs.get(k)
            pairs[k] = (old[0] if old is not None else None, r)
        # the rows of the pairs each word starts, by the next word
        self._next: dict[str, dict[str, int]] = {}
        for (prev, low), (ir, sr) in pairs.items():
            row = tuple(ir if ir is not None else zi) + tuple(sr if sr is not None else zs)
            self._next.setdefault(prev, {})[low] = self._add(row)
        self._bias_row = tuple(intent_model._bias) + tuple(sentence_model._bias)
        self._bias = self._add(self._bias_row)
        self._firsts = {w: self._add(tuple(r) + zs) for w, r in intent_model._firsts.items()}
        self._quest = self._add(tuple(intent_model._quest) + zs)
        self._fixed = len(self._rows)  # the rows above; the words' rows follow
        self._words: tuple[dict[str, tuple], dict[str, tuple]] = ({}, {})

    def _add(self, row: tuple) -> int:
        """The number of a new row (written into the numpy table by :meth:`_flush`)."""
        j = len(self._rows)
        self._rows.append(row)
        return j

    def _flush(self) -> np.ndarray:
        """The numpy table of the rows, with the rows added since the last call written in one go."""
        n, done = len(self._rows), self._written
        if n > done:
            if n > len(self._table):
                grown = np.zeros((max(2 * len(self._table), n), self._width))
                grown[:done] = self._table[:done]
                self._table = grown
            self._table[done:n] = self._rows[done:n]
            self._written = n
        return self._table

    def _word(self, x: tuple, neg: bool) -> tuple:
        """(the number of the row with both models' vectors of a token, the rows of the pairs it starts),
        as each model's own lookup gives the vectors."""
        im, sm = self.intent_model, self.sentence_model
        low = x[LOWER]
        iv = im._tok[neg].get(low) or im.token_vec(x, neg)
        cache = sm._negated if neg else sm._plain
        sv = cache.get(low)
        if sv is None:
            if len(cache) > 200_000:
                cache.clear()
            sv = cache[low] = sm.token_vec(x, neg)
        entry = self._words[neg][low] = (self._add(tuple(iv) + tuple(sv)), self._next.get(low))
        return entry

    def sentences(self, infos: list[tuple], sentences: list[tuple[int, int]]) -> list[tuple]:
        """Per sentence ``(a, b)``: (intent logits, intent contributions or None, sentiment sparse logits),
        as ``IntentModel.logits(infos, a, b)`` and ``SentenceSentiment._logits(infos, a, b)`` return them
        (the contributions' rows carry the sentence model's columns after the intent labels')."""
        return self.batch([(infos, sentences)])[0]

    def batch(self, docs: list[tuple[list[tuple], list[tuple[int, int]]]]) -> list[list[tuple]]:
        """:meth:`sentences` of each ``(infos, sentences)`` of a batch, summed together: per token the
        numbers of its word's row and of the row of the pair it ends (0, zeros, when the models know no
        such pair), flat over the batch; then one numpy sum (:meth:`_sums`)."""
        plain, negated = self._words
        if len(plain) > MAX_WORDS or len(negated) > MAX_WORDS:  # between batches: no number is in use
            plain.clear()
            negated.clear()
            del self._rows[self._fixed :]
            self._written = min(self._written, self._fixed)
        word = self._word
        firsts, quest_row = self._firsts, self._quest
        start = self._next.get("<s>")
        ni = self._ni
        empty = (list(self._bias_row[:ni]), None, self._bias_row[ni:])
        toks: list[int] = []  # per token of the batch: its index in its doc
        words: list[int] = []  # its word's row
        pairs: list[int] = []  # the row of the pair it ends, 0 if none
        out: list[list[tuple]] = []
        todo: list[tuple] = []  # (doc's list, place, first token, end token, (first word row, "?" row))
        for infos, sents in docs:
            res: list = []
            for a, b in sents:
                t0 = len(toks)
                after = start
                quest = neg = False
                for i in range(a, b):
                    x = infos[i]
                    f = x[FLAGS]
                    if f & F_SPACE:
                        continue
                    lower = x[LOWER]
                    j, nxt = (negated if neg else plain).get(lower) or word(x, neg)
                    toks.append(i)
                    words.append(j)
                    pairs.append(after.get(lower, 0) if after is not None else 0)
                    after = nxt
                    if f & F_QUEST:
                        quest = True
                    if f & (SCOPE_STOP | F_END):
                        neg = False
                    elif f & (F_NEG | F_NO):
                        neg = True
                if len(toks) == t0:
                    res.append(empty)
                    continue
                extra = (firsts.get(infos[toks[t0]][LOWER], 0), quest_row if quest else 0)
                todo.append((res, len(res), t0, len(toks), extra))
                res.append(None)
            out.append(res)
        if todo:
            sums, per_token = self._sums(words, pairs, todo)
            bt = _Batch(self._rows, self._bias, toks, words, pairs, per_token)
            for (res, k, t0, t1, extra), z in zip(todo, sums, strict=True):
                res[k] = (z[:ni], Contributions(bt, t0, t1, extra), tuple(z[ni:]))
        return out

    def _sums(self, words: list[int], pairs: list[int], todo: list[tuple]) -> tuple[list, np.ndarray]:
        """Each sentence's column sums of its rows, ``[sum(col) for col in zip(*rows)]`` over the bias, its
        tokens' word and pair rows in turn, its first word's and its question mark's, as the models sum
        them: the same floats. Step t adds the t-th row of every sentence (the longest first) to its sums,
        which start at 0.0; a row of zeros (no pair, no first-word row, past a sentence's end) changes
        no sum (a sum from 0.0 is never -0.0, and x + 0.0 == x). Also each token's ``(0.0 + word) + pair``
        per intent label (evidence)."""
        table = self._flush()
        word_ids = np.fromiter(words, dtype=np.intp, count=len(words))
        pair_ids = np.fromiter(pairs, dtype=np.intp, count=len(pairs))
        per_token = (0.0 + table[word_ids, : self._ni]) + table[pair_ids, : self._ni]
        out: list = [None] * len(todo)
        rows = self._rows
        for k, (_, _, a, b, extra) in enumerate(todo):
            if 2 * (b - a) + 3 > LONG:  # in Python, over the rows that are not zeros (as the models)
                seq = [rows[self._bias]]
                for p in range(a, b):
                    seq.append(rows[words[p]])
                    if pairs[p]:
                        seq.append(rows[pairs[p]])
                seq += [rows[r] for r in extra if r]
                out[k] = [sum(col) for col in zip(*seq, strict=True)]
        short = [k for k, z in enumerate(out) if z is None]
        if len(short) < len(todo):
            if not short:
                return out, per_token
            todo = [todo[k] for k in short]
        n = len(todo)
        t0 = np.fromiter((t[2] for t in todo), dtype=np.intp, count=n)
        ntok = np.fromiter((t[3] for t in todo), dtype=np.intp, count=n) - t0
        steps = 2 * ntok + 3  # bias, (word, pair) per token, first word, question mark
        order = np.argsort(-steps, kind="stable")
        rank = np.empty(n, dtype=np.intp)
        rank[order] = np.arange(n)
        ids = np.zeros((int(steps.max()), n), dtype=np.intp)
        ids[0] = self._bias
        sent = np.repeat(rank, ntok)  # the column of each token's sentence
        tt = np.arange(int(ntok.sum())) - np.repeat(np.cumsum(ntok) - ntok, ntok)  # index in its sentence
        pos = np.repeat(t0, ntok) + tt  # in the batch's token arrays
        ids[1 + 2 * tt, sent] = word_ids[pos]
        ids[2 + 2 * tt, sent] = pair_ids[pos]
        extra = np.array([t[4] for t in todo], dtype=np.intp).reshape(n, 2)
        ids[1 + 2 * ntok, rank] = extra[:, 0]
        ids[2 + 2 * ntok, rank] = extra[:, 1]
        live = np.searchsorted(-steps[order], -np.arange(len(ids)), "left")  # sentences with a t-th row
        acc = np.zeros((n, self._width))
        for t in range(len(ids)):
            m = live[t]
            acc[:m] += table.take(ids[t, :m], axis=0)
        for k, z in zip(short, acc[rank].tolist(), strict=True):
            out[k] = z
        return out, per_token
