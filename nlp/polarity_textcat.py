"""A spaCy ``textcat`` (bag-of-n-grams, exclusive classes) as a second topic-polarity learner.

Its input is the topic followed by the doc's lower-cased words ("food : the pizza was great ..."), so one
model serves every topic. It makes different mistakes from the logistic regression of
:mod:`nlp.polarity` (hashed n-grams, its own optimiser), and their weighted average, with the weight chosen
by cross-validation on the training pairs (:mod:`nlp.polarity_train`), is what the polarity model predicts.
Out-of-fold on SemEval-2014 train (5 folds): logistic regression 0.740, textcat alone 0.696, the 0.3-weighted
average 0.741.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import minibatch

from nlp.flags import F_SPACE, FLAGS, LOWER

if TYPE_CHECKING:
    from nlp.components import DocState

MIX_GRID = (0.0, 0.2, 0.3, 0.4, 0.5)
EPOCHS = 10
BOW = {
    "@architectures": "spacy.TextCatBOW.v3",
    "exclusive_classes": True,
    "ngram_size": 2,
    "no_output_layer": False,
    "length": 262144,
}


def tc_input(state: DocState, topic: str) -> str:
    """The textcat's input for a (doc, topic) pair: the topic, a separator, the doc's lower-case words."""
    return f"{topic} : " + " ".join(x[LOWER] for x in state.infos if not x[FLAGS] & F_SPACE)


def train(inputs: Sequence[str], labels: Sequence[str], classes: list[str], seed: int = 0) -> Language:
    """Train a blank-English exclusive bag-of-n-grams textcat on (input, label) pairs."""
    spacy.util.fix_random_seed(seed)
    nlp = spacy.blank("en")
    tc = nlp.add_pipe("textcat", config={"model": BOW})
    for c in classes:
        tc.add_label(c)
    examples = [
        Example.from_dict(nlp.make_doc(x), {"cats": {c: float(c == y) for c in classes}})
        for x, y in zip(inputs, labels, strict=True)
    ]
    optimizer = nlp.initialize(lambda: examples)
    rnd = random.Random(seed)  # noqa: S311  (reproducible shuffling)
    for _ in range(EPOCHS):
        rnd.shuffle(examples)
        for batch in minibatch(examples, size=32):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    return nlp


def proba(nlp: Language, inputs: Sequence[str], classes: list[str]) -> np.ndarray:
    """(inputs x classes) probabilities."""
    rows = [[d.cats.get(c, 0.0) for c in classes] for d in nlp.pipe(inputs, batch_size=256)]
    return np.array(rows, dtype=np.float64).reshape(len(inputs), len(classes))


def choose_mix(lr: np.ndarray, tc: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """The textcat's weight in the average with the best dev accuracy (the smaller on ties)."""
    best = (-1.0, 0.0)
    for w in MIX_GRID:
        acc = float((((1 - w) * lr + w * tc).argmax(axis=1) == gold).mean())
        if acc > best[0] + 1e-9:
            best = (acc, w)
    return best[1], best[0]
