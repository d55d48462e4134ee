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

from itertools import chain

import numpy as np

from nlp.flags import F_END, F_NEG, F_NO, F_QUEST, F_SPACE, FLAGS, LOWER, SCOPE_STOP

MAX_WORDS = 100_000  # per negation state: bounded memory on adversarial vocabularies
LONG = 64  # a sentence of more rows is summed in Python (the numpy sums step through the longest one)


class Contributions:
    """A sentence's contributions as :meth:`nlp.intent.IntentModel.logits` gives them, ``(owners,
    vectors)`` when unpacked: the token index of each summed row (-1 for the sentence-level ones) and the
    rows themselves, looked up when first unpacked (evidence is read only for the labels that pass)."""

    __slots__ = ("ids", "owners", "rows", "vecs")

    def __init__(self, owners: list[int], ids: list[int], rows: list[tuple]) -> None:
        self.owners = owners
        self.ids = ids
        self.rows = rows
        self.vecs: list[tuple] | None = None

    def __iter__(self):
        if self.vecs is None:
            rows = self.rows
            self.vecs = [rows[j] for j in self.ids]
        return iter((self.owners, self.vecs))


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
        """The number of a new row."""
        j = len(self._rows)
        self._rows.append(row)
        if j >= len(self._table):
            grown = np.zeros((2 * len(self._table), self._width))
            grown[:j] = self._table[:j]
            self._table = grown
        self._table[j] = row
        return j

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
        """:meth:`sentences` of each ``(infos, sentences)`` of a batch, summed together."""
        plain, negated = self._words
        if len(plain) > MAX_WORDS or len(negated) > MAX_WORDS:  # between batches: no number is in use
            plain.clear()
            negated.clear()
            del self._rows[self._fixed :]
        word = self._word
        bias, firsts, quest_row = self._bias, self._firsts, self._quest
        rows = self._rows
        start = self._next.get("<s>")
        ni = self._ni
        empty = (list(self._bias_row[:ni]), None, self._bias_row[ni:])
        out: list[list[tuple]] = []
        todo: list[tuple[list, int, list[int], list[int]]] = []  # (doc's list, place, owners, row numbers)
        for infos, sents in docs:
            res: list = []
            for a, b in sents:
                ids = [bias]
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
                    j, nxt = (negated if neg else plain).get(lower) or word(x, neg)
                    ids.append(j)
                    owners.append(i)
                    if after is not None:
                        r = after.get(lower)
                        if r is not None:
                            ids.append(r)
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
                    res.append(empty)
                    continue
                r = firsts.get(first)
                if r is not None:
                    ids.append(r)
                    owners.append(-1)
                if quest:
                    ids.append(quest_row)
                    owners.append(-1)
                todo.append((res, len(res), owners, ids))
                res.append(None)
            out.append(res)
        if todo:
            for (res, k, owners, ids), z in zip(todo, self._sums([t[3] for t in todo]), strict=True):
                res[k] = (z[:ni], Contributions(owners, ids, rows), tuple(z[ni:]))
        return out

    def _sums(self, sentences: list[list[int]]) -> list[list[float]]:
        """Each sentence's column sums of its rows: ``[sum(col) for col in zip(*rows)]``, the same floats
        (each column is added up from 0.0 row after row; a row of zeros after the last changes nothing).
        The sentences of at most ``LONG`` rows are summed together, step t adding the t-th row of every
        sentence that has one (the longest first); a longer one alone, in Python."""
        out: list = [None] * len(sentences)
        short = [k for k, ids in enumerate(sentences) if len(ids) <= LONG]
        rows = self._rows
        for k, ids in enumerate(sentences):
            if len(ids) > LONG:
                out[k] = [sum(col) for col in zip(*[rows[j] for j in ids], strict=True)]
        if not short:
            return out
        short.sort(key=lambda k: -len(sentences[k]))
        seqs = [sentences[k] for k in short]
        n = len(seqs)
        lens = np.fromiter(map(len, seqs), dtype=np.intp, count=n)
        steps = int(lens[0])
        flat = np.fromiter(chain.from_iterable(seqs), dtype=np.intp, count=int(lens.sum()))
        # ids[t, s]: the number of the t-th row of sentence s (row 0, zeros, past its end)
        ids = np.zeros((steps, n), dtype=np.intp)
        ends = np.cumsum(lens)
        ids[np.arange(len(flat)) - np.repeat(ends - lens, lens), np.repeat(np.arange(n), lens)] = flat
        live = np.searchsorted(-lens, -np.arange(steps), "left")  # the sentences with a t-th row
        table = self._table
        acc = np.zeros((n, self._width))
        for t in range(steps):
            m = live[t]
            acc[:m] += table.take(ids[t, :m], axis=0)
        for k, z in zip(short, acc.tolist(), strict=True):
            out[k] = z
        return out
