"""Intent per sentence: bug report, feature request, question, praise, complaint (learned) and churn risk
(patterns, :mod:`nlp.churn`).

The learned part is one L2 logistic regression per label over a sentence's words (negation-marked:
``n=work`` after "not"), match keys, character 3-4-grams of content words, word bigrams, its first word,
a question mark, lexicon polarity buckets and a few problem cue words. Features are *counted* (a word twice
counts twice), so a sentence's score is exactly the sum of per-token vectors plus its bigrams' and the
sentence-level ones: at analysis time each distinct token (and negation state) is looked up once per
process and cached as a small vector, no feature strings are built per doc.

Scores are calibrated (Platt scaling of out-of-fold logits, see :mod:`nlp.intent_train`), so ``score`` is a
probability, and a label is given when it passes its threshold (chosen on out-of-fold predictions of the
training data, never on a test split). Training data and figures: ``python -m nlp.intent_train``.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib import resources

import numpy as np

from nlp.churn import EN_UNITS, churn_risk, negated_churn, normalise
from nlp.flags import F_ALPHA, F_CONTENT, F_END, F_NEG, F_NO, F_QUEST, F_SPACE, FLAGS, LOWER, SCOPE_STOP, VAL
from nlp.joint import Contributions, widen
from nlp.prefilter import Gate, clauses, may_match, needs, split_alternatives
from nlp.types import Intent  # noqa: F401  (re-exported)

_add = np.add.reduce  # what ndarray.sum calls, without its Python wrapper (same result)
LABELS = ("bug_report", "feature_request", "question", "praise", "complaint", "churn_risk")
LEARNED = ("bug_report", "feature_request", "question", "complaint", "praise")
PROBLEM = frozenset({"bug_report", "complaint", "churn_risk"})
KEY = 5
LENGTH = 7
MODEL_FILE = "intent_model.npz"

# Words that describe a malfunction or an unmet need in any product (beyond the training forums' vocabulary).
PROBLEM_CUES = frozenset(
    [
        "crash",
        "crashes",
        "crashed",
        "crashing",
        "freeze",
        "freezes",
        "froze",
        "frozen",
        "hang",
        "hangs",
        "hung",
        "stuck",
        "error",
        "errors",
        "bug",
        "bugs",
        "buggy",
        "broken",
        "breaks",
        "broke",
        "glitch",
        "glitches",
        "glitchy",
        "fail",
        "fails",
        "failed",
        "failing",
        "failure",
        "timeout",
        "timeouts",
        "spinner",
        "spinning",
        "blank",
        "missing",
        "lost",
        "disappear",
        "disappears",
        "disappeared",
        "wrong",
        "incorrect",
        "duplicate",
        "duplicates",
        "logged",
        "logout",
        "outage",
        "down",
        "unresponsive",
        "unusable",
        "unable",
        "impossible",
        "cannot",
        "can't",
        "cant",
        "doesn't",
        "doesnt",
        "won't",
        "wont",
        "didn't",
        "didnt",
        "isn't",
        "isnt",
    ]
)
NEED_CUES = frozenset(
    ["missing", "lack", "lacks", "lacking", "wish", "need", "needs", "needed", "want", "wanted"]
)


def char_grams(lower: str) -> list[str]:
    """Character 3-4-grams of a content word (with boundary marks)."""
    s = f"<{lower}>"
    return ["c=" + s[i : i + n] for n in (3, 4) for i in range(len(s) - n + 1)]


def token_features(info: tuple, negated: bool) -> list[str]:
    """The features one token contributes (the same for every occurrence of the token in that scope)."""
    lower, f = info[LOWER], info[FLAGS]
    out = [("n=" if negated else "u=") + lower, "k=" + info[KEY]]
    if f & F_CONTENT and f & F_ALPHA and len(lower) > 2:
        out += char_grams(lower)
    v = info[VAL]
    if v:
        out.append(("nv=" if negated else "v=") + ("pos" if v > 0 else "neg"))
    if lower in PROBLEM_CUES:
        out.append("ncue=problem" if negated else "cue=problem")
    if lower in NEED_CUES:
        out.append("cue=need")
    return out


def _tokens(infos: list[tuple]) -> list[tuple[int, bool]]:
    """(index, in a negation scope) of the non-space tokens of a span."""
    out = []
    neg = False
    for i, x in enumerate(infos):
        f = x[FLAGS]
        if f & F_SPACE:
            continue
        out.append((i, neg))
        if f & (SCOPE_STOP | F_END):
            neg = False
        elif f & (F_NEG | F_NO):
            neg = True
    return out


def sentence_features(infos: list[tuple]) -> list[str]:
    """All features of one sentence's token infos, with repeats (counts): used for training."""
    toks = _tokens(infos)
    out = ["bias"]
    prev = "<s>"
    for i, neg in toks:
        out += token_features(infos[i], neg)
        out.append(f"b={prev} {infos[i][LOWER]}")
        prev = infos[i][LOWER]
    if toks:
        out.append("f=" + infos[toks[0][0]][LOWER])
    if any(infos[i][FLAGS] & F_QUEST for i, _ in toks):
        out.append("q=?")
    return out


class IntentModel:
    """Learned intent scores of sentences; see the module docstring."""

    def __init__(
        self,
        labels: list[str],
        vocab: dict[str, int],
        weights: np.ndarray,
        platt: np.ndarray,
        thresholds: np.ndarray,
    ) -> None:
        self.labels = labels
        self.vocab = vocab
        self.weights = weights.astype(np.float64)
        self.platt = platt  # (labels x 2): a, b of sigmoid(a * z + b)
        self.thresholds = thresholds  # on the calibrated probability
        self.n = len(labels)
        self._zero = (0.0,) * self.n
        # token vectors cached per token text, one dict per negation state (no key tuple per lookup)
        self._tok: tuple[dict[str, tuple[float, ...]], dict[str, tuple[float, ...]]] = ({}, {})
        # bigram and first-word rows keyed by their words: no feature string built per token
        self._bigrams: dict[tuple[str, str], tuple[float, ...]] = {}
        self._firsts: dict[str, tuple[float, ...]] = {}
        names = [n for n in vocab if n.startswith(("b=", "f="))]
        rows = self.weights[[vocab[n] for n in names]].tolist() if names else []
        for n, row in zip(names, rows, strict=True):
            if n[0] == "f":
                self._firsts[n[2:]] = tuple(row)
            else:
                prev, _, low = n[2:].partition(" ")
                self._bigrams[(prev, low)] = tuple(row)
        self._bias = self._vec(["bias"])
        # the raw logit below which label k's calibrated probability cannot reach its threshold
        self._zcut = [
            _raw_cut(float(a), float(b), float(t)) for (a, b), t in zip(platt, thresholds, strict=True)
        ]
        self._quest = self._vec(["q=?"])
        # (raw cut-off, Platt a, Platt b, threshold) per label as Python floats (the same double arithmetic
        # as numpy's scalars, without their overhead)
        self._cuts = [
            (cut, float(a), float(b), float(t))
            for cut, (a, b), t in zip(self._zcut, platt, thresholds, strict=True)
        ]

    def _vec(self, names: list[str]) -> tuple[float, ...]:
        ids = [j for j in map(self.vocab.get, names) if j is not None]
        if not ids:
            return self._zero
        return tuple(_add(self.weights.take(ids, axis=0), axis=0).tolist())  # take: the same rows, cheaper

    def token_vec(self, info: tuple, negated: bool) -> tuple[float, ...]:
        """The summed weights of a token's features (cached per token text and negation state)."""
        cache = self._tok[negated]
        v = cache.get(info[LOWER])
        if v is None:
            if len(cache) > 100_000:
                cache.clear()
            v = cache[info[LOWER]] = self._vec(token_features(info, negated))
        return v

    def logits(self, infos: list[tuple], a: int, b: int) -> tuple[list[float], tuple | None]:
        """Label logits of the sentence ``infos[a:b]`` and the contributions of its tokens and bigrams (for
        evidence: ``(owners, vectors)``, the token index of each summed vector, -1 for the sentence-level
        ones; None without tokens). The logits are summed column-wise over the cached vectors in one pass
        (``zip``), not label by label per token; negation scopes as :func:`_tokens`."""
        plain, negated = self._tok
        bigrams, token_vec = self._bigrams, self.token_vec
        vecs = [self._bias]
        owners = [-1]
        prev = "<s>"
        first = None
        quest = neg = False
        for i in range(a, b):
            x = infos[i]
            f = x[FLAGS]
            if f & F_SPACE:
                continue
            lower = x[LOWER]
            v = (negated if neg else plain).get(lower) or token_vec(x, neg)
            vecs.append(v)
            owners.append(i)
            r = bigrams.get((prev, lower))
            if r is not None:
                vecs.append(r)
                owners.append(i)
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
            return list(self._bias), None
        r = self._firsts.get(first)
        if r is not None:
            vecs.append(r)
            owners.append(-1)
        if quest:
            vecs.append(self._quest)
            owners.append(-1)
        return [sum(col) for col in zip(*vecs, strict=True)], (owners, vecs)

    def passing(self, z: list[float]) -> list[tuple[int, float]]:
        """(label index, calibrated probability) of the labels whose probability reaches its threshold;
        a raw-logit cut-off per label (Platt scaling is monotonic) skips the others' sigmoids."""
        out = []
        for k, (x, (cut, a, b, th)) in enumerate(zip(z, self._cuts, strict=True)):
            if x >= cut:
                p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, a * x + b))))
                if p >= th:
                    out.append((k, p))
        return out

    def calibrated(self, z: list[float]) -> list[float]:
        """Calibrated probabilities of raw logits."""
        out = []
        for k, x in enumerate(z):
            a, b = self.platt[k]
            out.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, a * x + b)))))
        return out

    def save(self, path) -> None:
        """Write the model (float16 weights: a few hundred kB)."""
        names = sorted(self.vocab, key=self.vocab.__getitem__)
        np.savez_compressed(
            path,
            labels=np.array(self.labels),
            names=np.array(names),
            weights=self.weights.astype(np.float16),
            platt=self.platt,
            thresholds=self.thresholds,
        )

    @classmethod
    def load(cls, path) -> IntentModel:
        """Read a model written by :meth:`save`."""
        d = np.load(path, allow_pickle=False)
        names = [str(x) for x in d["names"]]
        return cls(
            [str(x) for x in d["labels"]],
            {n: i for i, n in enumerate(names)},
            d["weights"],
            d["platt"].astype(np.float64),
            d["thresholds"].astype(np.float64),
        )


def _raw_cut(a: float, b: float, th: float) -> float:
    """Lowest raw logit z with sigmoid(a * z + b) >= th, less a margin (-inf when it cannot be said)."""
    if a <= 0 or th <= 0:
        return -math.inf
    if th >= 1:
        return math.inf
    return (math.log(th / (1 - th)) - b) / a - 1e-6


@lru_cache(maxsize=1)
def default_model() -> IntentModel | None:
    """The shipped model (``nlp/data/intent_model.npz``), loaded once per process; None if absent."""
    ref = resources.files("nlp.data").joinpath(MODEL_FILE)
    if not ref.is_file():
        return None
    with resources.as_file(ref) as p:
        return IntentModel.load(p)


def evidence_span(contrib: tuple[list[int], list[tuple]], k: int) -> tuple[int, int]:
    """Token range [start, end) of the strongest evidence for label ``k``: the token that contributes most
    (its word and the bigram ending at it), widened over neighbours that contribute at least half as much
    (at most four tokens). ``contrib``: (owners, vectors) from :meth:`IntentModel.logits`."""
    owners, vecs = contrib
    per: dict[int, float] = {}
    get = per.get
    for i, v in zip(owners, vecs, strict=True):
        per[i] = get(i, 0.0) + v[k]
    per.pop(-1, None)  # the sentence-level features (bias, first word, question mark) are no token's
    return widen(list(per), list(per.values()))


CHURN_TRIGGERS = frozenset(
    [
        "cancel",
        "cancels",
        "cancelling",
        "canceling",
        "cancelled",
        "canceled",
        "renew",
        "renewing",
        "renewal",
        "switch",
        "switching",
        "switched",
        "move",
        "moving",
        "migrate",
        "migrating",
        "leave",
        "leaving",
        "quit",
        "quitting",
        "drop",
        "dropping",
        "ditch",
        "ditching",
        "dump",
        "dumping",
        "alternative",
        "alternatives",
        "competitor",
        "competitors",
        "competing",
        "another",
        "notice",
        "terminate",
        "terminating",
        "last",
        "final",
        "reconsider",
        "reconsidering",
        "rethinking",
        "rethink",
        "re-evaluating",
        "justify",
        "downgrade",
        "downgrading",
        "trialling",
        "trialing",
        "trial",
        "unlikely",
        "lapse",
        "churn",
        "churning",
        "out",
        "find",
        "looking",
        "shopping",
        "evaluating",
        "considering",
        "comparing",
        "thinking",
        "might",
        "may",
        "could",
        "would",
        "probably",
        # analyser 1.6.0: hedged staying, committed departures, shrinking (nlp.churn)
        "stay",
        "staying",
        "continue",
        "continuing",
        "stick",
        "sticking",
        "remain",
        "remaining",
        "keep",
        "keeping",
        "around",
        "back",
        "sign",
        "signed",
        "signing",
        "elsewhere",
        "close",
        "closing",
        "shut",
        "shutting",
        "wind",
        "winding",
        "delete",
        "deleting",
        "plug",
        "done",
        "gone",
        "contract",
        "subscription",
        "replacement",
        "consider",
        "seats",
        "licenses",
        "licences",
        "idea",
        "extend",
        "customers",
        "customer",
        "longer",
        "expire",
        "auto-renew",
        "auto-renewal",
        "autorenew",
        "else",
        "using",
        "hold",
        # analyser 1.8.0: the verbs and nouns of the patterns written from principles (nlp.churn)
        "abandon",
        "abandoned",
        "abandoning",
        "abandons",
        "assess",
        "assessing",
        "axe",
        "axed",
        "axes",
        "axing",
        "backing",
        "basic",
        "benchmark",
        "benchmarking",
        "break",
        "breaking",
        "broke",
        "cease",
        "ceasing",
        "change",
        "changed",
        "changing",
        "cheaper",
        "check",
        "checking",
        "choose",
        "choosing",
        "chopping",
        "chose",
        "hire",
        "hired",
        "hiring",
        "award",
        "awarded",
        "awarding",
        "select",
        "selected",
        "selecting",
        "picks",
        "chooses",
        "chosen",
        "churned",
        "compare",
        "consolidate",
        "consolidated",
        "consolidating",
        "decided",
        "decommission",
        "decommissioned",
        "decommissioning",
        "demo",
        "demoing",
        "demos",
        "discontinue",
        "discontinued",
        "discontinues",
        "discontinuing",
        "ditched",
        "ditches",
        "downgrade",
        "downgraded",
        "downgrades",
        "dropped",
        "drops",
        "dumped",
        "dumps",
        "evaluate",
        "evaluates",
        "exit",
        "exited",
        "exiting",
        "exits",
        "explore",
        "exploring",
        "foot",
        "free",
        "go",
        "goes",
        "going",
        "gone",
        "goodbye",
        "head",
        "headed",
        "heading",
        "hunt",
        "hunting",
        "investigate",
        "investigating",
        "jump",
        "jumped",
        "jumping",
        "kill",
        "killed",
        "killing",
        "kills",
        "leaves",
        "left",
        "look",
        "lower",
        "meet",
        "meeting",
        "migrated",
        "migrates",
        "moved",
        "moves",
        "offboard",
        "offboarded",
        "offboarding",
        "offers",
        "opt",
        "opted",
        "opting",
        "part",
        "parting",
        "phase",
        "phased",
        "phasing",
        "pick",
        "picked",
        "picking",
        "pilot",
        "piloting",
        "port",
        "ported",
        "porting",
        "pricing",
        "proposals",
        "pull",
        "pulled",
        "pulling",
        "quits",
        "quote",
        "quotes",
        "re-sign",
        "re-signing",
        "re-up",
        "reason",
        "renewal",
        "renewing",
        "replace",
        "replaced",
        "replacement",
        "replaces",
        "replacing",
        "research",
        "researching",
        "resign",
        "resigning",
        "retire",
        "retired",
        "retires",
        "retiring",
        "review",
        "reviewing",
        "rid",
        "scope",
        "scoping",
        "scout",
        "scouting",
        "scrap",
        "scrapped",
        "scrapping",
        "scraps",
        "search",
        "searching",
        "settle",
        "settled",
        "settling",
        "shift",
        "shifted",
        "shifting",
        "ship",
        "shop",
        "shortlist",
        "shortlisting",
        "signs",
        "smaller",
        "speak",
        "speaking",
        "standardise",
        "standardised",
        "standardising",
        "standardize",
        "standardized",
        "standardizing",
        "starter",
        "staying",
        "stop",
        "stopped",
        "stopping",
        "stops",
        "straw",
        "sunset",
        "sunsetting",
        "switches",
        "talk",
        "talking",
        "terminated",
        "terminates",
        "termination",
        "test",
        "testing",
        "transition",
        "transitioned",
        "transitioning",
        "transitions",
        "trialing",
        "unsubscribe",
        "unsubscribing",
        "vet",
        "vetting",
        "vote",
        "voting",
        "walk",
        "walked",
        "walking",
        "walks",
        "way",
        "went",
        "why",
        "won't",
        "worth",
        "wound",
    ]
)
_SOLVED = re.compile(
    r"\b(?:fixed|resolved|solved|sorted(?: out)?|works now|working now|works again|working again|"
    r"back to normal|got it working|was quickly|fixed it|a fix)\b"
)
_UNSOLVED = re.compile(r"(?:\bnot|n't|\bnever|\bstill|\byet to|\bno)\W+(?:\w+\W+){0,2}$")


def is_solved_en(sentence_lower: str) -> bool:
    """Whether a sentence says its problem was solved ("fixed the same day"), not "still not fixed"."""
    return any(not _UNSOLVED.search(sentence_lower[: m.start()]) for m in _SOLVED.finditer(sentence_lower))


def detect(
    model: IntentModel | None,
    infos: list[tuple],
    idx: list[int],
    sentences: list[tuple[int, int]],
    text: str,
    lang: str = "en",
    scored=None,
    pre: list[tuple] | None = None,
) -> list[tuple]:
    """Intent rows (label, score, sentence index, first token, end token, from a rule?) of a doc: the
    learned labels per sentence, floored by the request/malfunction rules, and churn-risk patterns. With
    ``scored``, a sentence that negates a churn threat is marked as staying (:func:`mark_staying`).
    ``pre``: each sentence's (logits, contributions) computed beforehand (:mod:`nlp.joint`)."""
    out: list[tuple] = []
    for s, (a, b) in enumerate(sentences):
        found: dict[str, tuple] = {}
        if model is not None and lang == "en":
            z, contrib = model.logits(infos, a, b) if pre is None else pre[s][:2]
            if contrib:
                for k, p in model.passing(z):
                    x, y = contrib.span(k) if type(contrib) is Contributions else evidence_span(contrib, k)
                    found[model.labels[k]] = (model.labels[k], round(p, 4), s, x, y, False)
        c0 = idx[a]
        sent = text[c0 : idx[b - 1] + infos[b - 1][LENGTH]]
        if lang == "en":
            low = normalise(sent)
            mask = _GATE.mask(low)
            hits = rule_intents(low, mask)
        else:
            hits, mask = [], None
        if (mask is None or mask & _CHURN_BITS) and any(
            infos[i][LOWER] in CHURN_TRIGGERS for i in range(a, b)
        ):
            churn = churn_risk(sent, lang, mask)
            if churn is not None:
                hits.append(("churn_risk", *churn))
            elif scored is not None:
                span = negated_churn(sent, lang, mask)
                if span is not None:
                    x, y = span
                    toks = [i for i in range(a, b) if idx[i] < c0 + y and idx[i] + infos[i][LENGTH] > c0 + x]
                    mark_staying(scored, s, toks)
        for label, score, x, y in hits:
            if label in found and found[label][1] >= score:
                continue
            toks = [i for i in range(a, b) if idx[i] < c0 + y and idx[i] + infos[i][LENGTH] > c0 + x]
            if toks:
                found[label] = (label, score, s, toks[0], toks[-1] + 1, True)
        out += found.values()
    return out


def mark_staying(scored, s: int, toks: list[int]) -> None:
    """Sentence ``s`` negates a churn threat ("nobody on the team wants to leave", "no one here wants to
    switch"): a statement of staying. The negator's own valence in that phrase ("no" is negative in the
    lexicon) is dropped, and the learned sentence model may not make the sentence negative (``loyal``)."""
    w = scored.weights
    changed = False
    for i in toks:
        if w[i] < 0:
            scored.total -= w[i]
            w[i] = 0.0
            changed = True
    if changed:
        scored.hits = [i for i in scored.hits if w[i]]
    scored.loyal = scored.loyal | {s}


PROBLEM_FLOOR = 1.0  # a problem sentence's valence sum is at most -(PROBLEM_FLOOR + its intent's score)
_NEED_WORDS = frozenset({"missing", "lack", "lacks", "lacking", "without"})


LEARNED_MIN = 0.5  # a learned-only problem intent changes the sentiment from this calibrated score up


def problem_rows(infos: list[tuple], rows: list[tuple]) -> dict[int, tuple]:
    """The strongest problem intent of each sentence: bug report, complaint, churn risk, or a feature
    request that says something is missing or does not work (an unmet need)."""
    best: dict[int, tuple] = {}
    for row in rows:
        label, p, s, x, y, rule = row
        if not rule and p < LEARNED_MIN:
            continue
        if label == "feature_request":
            if not any(
                infos[i][FLAGS] & (F_NEG | F_NO) or infos[i][LOWER] in _NEED_WORDS for i in range(x, y)
            ):
                continue
        elif label not in PROBLEM:
            continue
        if s not in best or p > best[s][1]:
            best[s] = row
    return best


def make_problems_negative(
    scored, infos: list[tuple], idx: list[int], rows: list[tuple], text: str, solved=None
) -> list[int]:
    """A problem report is negative unless the same sentence says it is solved: a sentence whose words
    are not already clearly negative gets its valence lowered to ``-(PROBLEM_FLOOR + score)`` by weighting
    the intent's evidence (so explanations show which words of which intent made it negative). Returns the
    sentence indices changed."""
    best = problem_rows(infos, rows)
    if not best:
        return []
    w = scored.weights
    changed = []
    for s, (_label, p, _, x, y, _rule) in sorted(best.items()):
        a, b = scored.sentences[s]
        low = text[idx[a] : idx[b - 1] + infos[b - 1][LENGTH]].lower()
        if (solved or is_solved_en)(low):
            continue
        cur = sum(w[a:b]) + scored.emphasis[s]
        if cur <= -PROBLEM_FLOOR:
            continue  # already negative: its words say so (and keep their weights for topic sentiment)
        target = -(PROBLEM_FLOOR + p)
        tok = max(range(x, y), key=lambda i: (infos[i][FLAGS] & F_ALPHA != 0, i))
        delta = target - cur
        if not w[tok]:
            scored.hits.append(tok)
            scored.hits.sort()
        w[tok] += delta
        scored.total += delta
        changed.append(s)
    return changed


def supported(scored, rows: list[tuple]) -> list[tuple]:
    """Rows the sentence's own sentiment does not contradict: praise needs a positive sentence ("it would
    be great to have an API" is a request), and a bug report or complaint found by the learned model alone
    (no rule) needs a sentence that is not positive ("could not be happier")."""
    w = scored.weights
    out = []
    for row in rows:
        label, _, s, _, _, rule = row
        if label == "praise" or (label in ("bug_report", "complaint") and not rule):
            a, b = scored.sentences[s]
            v = sum(w[a:b]) + scored.emphasis[s]
            if (label == "praise") == (v <= 0):
                continue
        out.append(row)
    return out


# Principled rules for the survey phrasing that forum data (Tizard) rarely has; each floors its label's score.
_VERBS = (
    r"(?:work|load|save|sync|open|export|import|send|show|display|update|respond|connect|log\s*in|login|"
    r"upload|download|render|refresh|print|start|run|finish|arrive|appear|match|calculate|generate)"
)
_RULES: list[tuple[str, float, re.Pattern]] = [
    (
        "feature_request",
        0.8,
        re.compile(
            r"\b(?:please\s+(?:add|include|support|consider|make|allow|let|bring|give|provide)|"
            r"(?:would|it'd|that'd)\s+be\s+(?:really\s+|very\s+|so\s+)?(?:nice|great|good|helpful|useful|awesome|"
            r"amazing|cool|handy|lovely|ideal)\s+(?:to|if)|(?:i|we)\s+(?:really\s+)?wish|(?:i|we)(?:'d|\s+would)\s+"
            r"(?:really\s+)?(?:love|like)\s+(?:to\s+(?:see|have|get)|a|an|the|more|better|some)|"
            r"(?:can|could|will)\s+you\s+(?:please\s+)?(?:add|include|support|make|allow|build)|"
            r"(?:we|i)\s+(?:really\s+|badly\s+|urgently\s+)?need\s+(?:a|an|the|to\s+be\s+able|better|more|some|"
            r"support|sso|api|an\s+option)|(?:should|must)\s+(?:really\s+)?(?:support|have|allow|let|offer|add)|"
            r"missing\s+(?:a|an|the)?\s*(?:feature|option|way|integration|setting|export)|"
            r"(?:there's|there\s+is)\s+no\s+(?:way|option|setting|button)\s+to|feature\s+request|"
            r"^(?:add|allow|include|give\s+us|let\s+us|make\s+it\s+possible)\b|"
            r"(?:it\s+)?would\s+help\s+(?:a\s+lot\s+)?if|looking\s+forward\s+to\s+(?:a|an|the)\b)"
        ),
    ),
    (
        "bug_report",
        0.75,
        re.compile(
            r"(?:\b(?:doesn't|does\s+not|don't|do\s+not|won't|will\s+not|isn't|can't|cannot|couldn't|unable\s+to|"
            rf"fails?\s+to|failed\s+to|stopped|stops|refuses\s+to)\s+(?:\w+\s+)?{_VERBS}|"
            r"\bcrash(?:es|ed|ing)?\b|\b(?:an?\s+|the\s+)?(?:error|bug|glitch)s?\b|\bnever\s+(?:stops|loads|finishes|"
            r"arrives?|completes|works|saves|ends|shows|appears|updates|syncs)|\bkeeps?\s+(?:crashing|failing|"
            r"freezing|logging|spinning|timing|breaking|disconnecting|reloading|resetting)|\b(?:logged|kicked|"
            r"signed|thrown)\s+(?:me\s+|us\s+)?out\b|\b(?:is|are|was|were|got|gets|get)\s+(?:\w+\s+)?(?:broken|stuck|"
            r"lost|duplicated|corrupted|wiped|blank)\b|\bspinner\b|\btimes?\s+out\b|\bfreez(?:es|ing)\b|"
            r"\bbreaks?\s+(?:something|everything|things)\b|\b(?:not|isn't|aren't|wasn't)\s+working\b)"
        ),
    ),
]
# Delays, overcharges and effort said without sentiment words ("support takes days to answer").
_RULES.append(
    (
        "complaint",
        0.7,
        re.compile(
            r"\b(?:takes?|took|taking)\s+(?:\w+\s+)?(?:forever|ages|days|weeks|months|hours)\b|"
            r"\b(?:billed|charged|invoiced)\s+(?:us\s+|me\s+)?(?:twice|double|two\s+times)|double[- ]charged|"
            r"\bpay(?:ing)?\s+for\s+(?:\w+\s+){0,2}(?:we|i)\s+(?:can't|cannot|don't|do\s+not)\s+use|"
            r"\btoo\s+(?:many|much)\s+\w+|\bway\s+too\s+(?:many|much|long|slow|expensive)|\bway\s+higher|"
            r"\blocked\s+behind|\bneeds\s+(?:urgent\s+)?attention|\bwaste\s+of\s+(?:time|money)|"
            r"\bnot\s+worth\s+the|\b(?:no\s+one|nobody)\s+(?:ever\s+)?(?:answers|replies|responds|follows\s+up)"
        ),
    )
)
_RULE_NEG = re.compile(
    r"(?:\bno|\bnever|\bwithout|\bzero|\bnot\s+a|\bnot\s+any|\bfewer|\bless)\W+(?:\w+\W+){0,1}$"
)


# Words one of which every match of a rule contains (nlp.prefilter): a sentence without any skips that
# rule's (slow, many-alternative) regex.
_RULE_NEEDS = {label: needs(pat) for label, _, pat in _RULES}


def rule_may_match(label: str, sentence: str) -> bool:
    """False when the rule's pattern cannot match the (lower-cased) sentence: none of its words is in it."""
    return may_match(_RULE_NEEDS[label], sentence)


# One gate for a sentence's churn patterns (the low bits, nlp.churn.EN_UNITS) and its rules' alternatives:
# a rule's regex is tried with only the alternatives whose words the sentence has (an alternative that
# cannot match anywhere never changes which match the others give), compiled once per such subset.
_RULE_ALTS = [split_alternatives(pat.pattern) for _, _, pat in _RULES]
_RULE_BITS: list[tuple[int, int]] = []  # (offset, width) of each rule's alternatives in the gate
_units = list(EN_UNITS)
for _alts in _RULE_ALTS:
    _RULE_BITS.append((len(_units), len(_alts)))
    _units += [clauses(re.compile(a)) for a in _alts]
_GATE = Gate(_units)
_CHURN_BITS = (1 << len(EN_UNITS)) - 1  # no churn pattern can match without one of these: none is tried
del _units, _alts
_SUBSETS: dict[tuple[int, int], re.Pattern] = {}


def gate_mask(sentence: str) -> int:
    """The churn patterns and rule alternatives that may match a (normalised) sentence."""
    return _GATE.mask(sentence)


def _rule_pattern(k: int, sub: int) -> re.Pattern:
    """Rule ``k``'s regex with only the alternatives in the bit set ``sub``, in their order."""
    pat = _SUBSETS.get((k, sub))
    if pat is None:
        if len(_SUBSETS) > 4096:
            _SUBSETS.clear()
        alts = _RULE_ALTS[k]
        pat = _SUBSETS[(k, sub)] = re.compile("|".join(a for j, a in enumerate(alts) if sub >> j & 1))
    return pat


def rule_intents(sentence: str, mask: int | None = None) -> list[tuple[str, float, int, int]]:
    """(label, score, start, end) of the request and malfunction rules in one sentence (lower-cased).
    ``mask``: :func:`gate_mask` of the sentence (computed when not given)."""
    if mask is None:
        mask = _GATE.mask(sentence)
    out = []
    for k, (label, score, pat) in enumerate(_RULES):
        off, width = _RULE_BITS[k]
        full = (1 << width) - 1
        sub = mask >> off & full
        if not sub:
            continue  # none of its alternatives' words (nlp.prefilter)
        if sub != full:
            pat = _rule_pattern(k, sub)
        for m in pat.finditer(sentence):
            if _RULE_NEG.search(sentence[: m.start()]):
                continue  # "no bugs since", "never had an error"
            if label == "bug_report" and is_solved_en(sentence):
                break
            out.append((label, score, m.start(), m.end()))
            break
    return out
