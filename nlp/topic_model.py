"""A trained topic model bundle: a spaCy ``textcat_multilabel`` + per-label thresholds (+ polarity model)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import spacy
from spacy.language import Language

from nlp.types import Sentiment, label_for

if TYPE_CHECKING:
    from nlp.components import DocState
    from nlp.linear import LinearTopicModel
    from nlp.polarity import PolarityModel

META_FILE = "clearloop_topic_model.json"
TEXTCAT_NAME = "clearloop_textcat"


class TopicModel:
    """Learned topics for what the taxonomy phrases miss; loaded by ``Analyzer(topic_model_path=...)``."""

    def __init__(
        self,
        nlp: Language,
        thresholds: dict[str, float],
        labels: list[str],
        label_names: dict[str, str],
        polarity: PolarityModel | None,
        linear: LinearTopicModel | None,
        meta: dict,
    ) -> None:
        self.nlp = nlp
        self.thresholds = thresholds
        self.labels = labels
        self.label_names = label_names
        self.polarity = polarity
        self.linear = linear
        self.meta = meta

    @property
    def fingerprint(self) -> str:
        """Short hash identifying the trained weights (part of ``Analyzer.version``)."""
        return str(self.meta.get("fingerprint", "unsaved"))

    def save(self, output_dir: str | Path) -> None:
        """Write the textcat pipeline, thresholds, names, polarity weights and metadata."""
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.nlp.to_disk(out / "textcat")
        if self.polarity is not None:
            self.polarity.save(out / "polarity.npz")
        if self.linear is not None:
            self.linear.save(out / "linear.npz")
        digest = hashlib.sha256(self.nlp.get_pipe("textcat_multilabel").to_bytes())
        digest.update(json.dumps(self.thresholds, sort_keys=True).encode())
        for extra in ("polarity.npz", "linear.npz"):
            if (out / extra).exists():
                digest.update((out / extra).read_bytes())
        self.meta["fingerprint"] = digest.hexdigest()[:12]
        (out / META_FILE).write_text(
            json.dumps(
                {
                    "labels": self.labels,
                    "thresholds": self.thresholds,
                    "label_names": self.label_names,
                    "meta": self.meta,
                },
                indent=1,
            )
        )

    @classmethod
    def load(cls, path: str | Path) -> TopicModel:
        """Load a bundle written by :meth:`save`."""
        p = Path(path)
        d = json.loads((p / META_FILE).read_text())
        polarity = None
        if (p / "polarity.npz").exists():
            from nlp.polarity import PolarityModel

            polarity = PolarityModel.load(p / "polarity.npz")
        linear = None
        if (p / "linear.npz").exists():
            from nlp.linear import LinearTopicModel

            linear = LinearTopicModel.load(p / "linear.npz")
        return cls(
            spacy.load(p / "textcat"),
            d["thresholds"],
            d["labels"],
            d.get("label_names", {}),
            polarity,
            linear,
            d.get("meta", {}),
        )

    @property
    def mix(self) -> float:
        """Weight of the spaCy textcat in the average with the linear model (chosen on dev)."""
        if self.linear is None:
            return 1.0
        return float(self.meta.get("mix", 0.5))  # 0.5: bundles from before the mix was chosen

    def attach(self, nlp: Language) -> None:
        """Add the textcat (unless its weight is 0) and the thresholding component to a pipeline."""
        if self.mix > 0:
            nlp.add_pipe("textcat_multilabel", name=TEXTCAT_NAME, source=self.nlp)
        comp = nlp.add_pipe(
            "clearloop_topic_model", config={"textcat": TEXTCAT_NAME, "thresholds": self.thresholds}
        )
        comp.linear = self.linear
        comp.labels = list(self.labels)
        comp.mix = self.mix
        comp.fallback = self.meta.get("fallback")

    def mention_rows(
        self, state: DocState, text: str, have: set[str], names: dict[str, str], band: float
    ) -> list[tuple]:
        """Rows (see nlp.results) for topics above threshold that no phrase found (rules always win);
        their span is the whole text."""
        out: list[tuple] = []
        for label, conf in sorted(state.model_topics.items(), key=lambda kv: -kv[1]):
            if label in have:
                continue
            sent = self.topic_sentiment(state, label, band)
            name = names.get(label) or self.label_names.get(label) or label
            out.append((label, name, sent.label, sent.score, 0, len(text), "model", round(float(conf), 4)))
        return out

    def prefetch(self, states: list[DocState | None], taxonomy) -> None:
        """Score the (doc, topic) pairs a batch of results will ask the polarity model about, in one go.
        Only English docs' (``nlp.results.Builder.mention_rows`` asks the polarity model about no other
        language's topics: a German, French or Spanish doc's phrase matches keep their own sentiment)."""
        pm = self.polarity
        if pm is None:
            return
        topics = taxonomy.topics
        pairs = []
        for st in states:
            if st is None or st.scored is None or st.language != "en":
                continue
            wanted = {topics[m.topic].id for m in st.matches} | set(st.model_topics)
            pairs += [(st, t) for t in wanted if t in pm.topics]
        pm.prefetch(pairs)

    def topic_sentiment(self, state: DocState, topic: str, band: float) -> Sentiment:
        """Sentiment of a topic in a doc: the polarity model if it knows the topic, else the doc's."""
        if self.polarity is not None and topic in self.polarity.topics:
            label, score = self.polarity.predict_sentiment(state, topic)
            return Sentiment(label, round(score, 4))
        from nlp.sentiment import normalize

        s = normalize(state.scored.total) if state.scored is not None else 0.0
        return Sentiment(label_for(s, band), round(s, 4))
