"""Churn risk as patterns: a customer says they will (or may) cancel, not renew, or leave for someone else.

There is no public labelled data for this, so it is rules, in three kinds:
- a direct threat or decision ("we'll cancel our subscription", "we won't renew", "switching to X") - 0.9;
- a softer signal ("looking at alternatives", "not sure we'll renew", "hard to justify the cost") - 0.75;
- a conditional threat ("if this isn't fixed by March we'll cancel", "unless ... we'll leave") - 0.7.
Analyser 1.6.0 added hedged intent to stay ("not sure we'll stay with you", "I don't think we'll continue",
"can't see us renewing", "might not renew"), committed departures ("signed with a different provider",
"taking our business elsewhere", "close our account", "pulling the plug"), a bare intent to leave ("we want
to leave") and shrinking ("reducing our seats"). Not churn: the same words negated ("we'd never switch",
"no plans to cancel", "not looking at other tools", "nobody on the team wants to leave": such a sentence is
a statement of staying, :func:`negated_churn`, which the sentiment steps do not make negative),
hypotheticals that threaten nothing ("if we ever had to switch, would we keep our data?"),
the past that ended well ("we nearly left last year, now ..."), and cancelling things that are not the
relationship ("cancel an invitation"). The scores are the share of matches of that kind that were churn
risk in ``nlp/tests/churn_test.tsv`` (a labelled set written separately from these patterns), rounded.

Works on languages with their own phrase lists (en, de, fr, es); the text is matched lower-cased, with
typographic apostrophes made plain.
"""

from __future__ import annotations

import re

from nlp.prefilter import needs

DIRECT, SOFT, CONDITIONAL = 0.9, 0.75, 0.7

_OBJ = (
    r"(?:(?:our|my|the|this|your|whole|entire|annual|yearly|monthly|team|company)\s+){0,3}"
    r"(?:subscription|account|plan|contract|membership|licen[cs]es?|service|seats|renewal|deal|workspace)"
)
# "leaving for" time off is not leaving us ("I'm leaving for vacation": 1.6.0's one false positive)
_TIME_OFF = (
    r"(?:(?:a|the|my|our)\s+)?(?:vacation|holidays?|leave|lunch|the\s+day|the\s+weekend|a\s+(?:few|couple)|"
    r"(?:a|two|three)\s+weeks?|maternity|paternity|parental|sick|a\s+conference|a\s+trip)\b"
)
_EN_DIRECT = [
    rf"\bcancel(?:l?ing|l?ed)?\s+{_OBJ}",
    r"\b(?:we|i|we'll|i'll|we're|i'm|will|going to|gonna|about to|plan(?:ning)? to|decided to|have to)\s+"
    r"(?:\w+\s+){0,2}cancel(?:l?ing)?(?=\s*(?:$|[.,!;]|(?:it|everything|all|if|unless|at|by|in|next|this|"
    r"when|now|soon|today|then|too|as)\b))",
    r"\b(?:won't|will not|wont|not going to|don't plan to|do not plan to|unlikely to|cannot|can't)\s+"
    r"(?:\w+\s+){0,2}renew",
    r"\bnot\s+(?:be\s+)?renewing\b",
    r"\b(?:switch(?:ing|ed)?|mov(?:e|ing)|migrat(?:e|ing)|go(?:ing)?)\s+(?:\w+\s+){0,3}(?:over\s+)?to\s+"
    r"(?:(?:a\s+|an\s+)?(?:another|different|competitor|competing|alternative|other|cheaper|new)\s+"
    r"(?:\w+\s+)?(?:tool|vendor|provider|platform|solution|product|service|app|system|company)|"
    r"something\s+(?:cheaper|else|different|simpler))",
    r"\b(?:switch(?:ing)?|mov(?:e|ing)|migrat(?:e|ing))\s+(?:away\s+from|off)\s+(?:you|your|this|the|"
    r"clearloop)\b",
    r"\bswitch(?:ing)?\s+(?:providers|vendors|tools|platforms|products)",
    r"\b(?:leav(?:e|ing)|quit(?:ting)?|drop(?:ping)?|ditch(?:ing)?|dump(?:ing)?)\s+(?:you\b|your\s|this\s+"
    r"(?:product|tool|platform|service|app))",
    rf"\bleav(?:e|ing)\s+for\s+(?!{_TIME_OFF})(?:a\s+|an\s+)?(?:competitor|another|different|cheaper|\w+)",
    r"\b(?:last|final)\s+(?:month|year|quarter|renewal|term)\s+(?:with|on|of)\s+(?:you|your|this)",
    r"\bour\s+(?:last|final)\s+(?:month|year|quarter|renewal|term|contract)\s+(?:with|on|using)\b",
    # committed departures: signed elsewhere, business taken elsewhere, the account closed or wound down
    r"\bsign(?:ed|ing)?\s+(?:up\s+)?with\s+(?:another|a\s+different|a\s+new|a\s+cheaper|a\s+competitor|"
    r"your\s+competitor|one\s+of\s+your\s+competitors)",
    r"\b(?:tak(?:e|ing)|took|mov(?:e|ing)|go(?:ing)?)\s+(?:(?:our|my|the)\s+)?(?:business|money|budget|"
    r"spend|custom)?\s*elsewhere\b",
    r"\b(?:clos(?:e|ing)|shut(?:ting)?\s+down|wind(?:ing)?\s+down|delet(?:e|ing))\s+(?:our|my|the)\s+"
    r"(?:\w+\s+)?(?:account|subscription|workspace)",
    r"\bpull(?:ing)?\s+the\s+plug\b",
    # analyser 1.7.0 (from the misses of nlp/tests/churn_dev_b.tsv): other verbs that end it ("cut this
    # subscription", "stopping the plan"), phasing or winding the product out, not extending or continuing
    # the contract, leaving after the data is out ("so we can move on")
    r"\b(?:cut(?:ting)?|end(?:ing)?|stop(?:ping)?|discontinu(?:e|ing))\s+(?:this|our|my|the)\s+"
    r"(?:(?:annual|yearly|monthly|whole|entire)\s+)?(?:subscription|contract|membership|plan|account)\b",
    r"\b(?:phas(?:e|ing)\s+out|wind(?:ing)?\s+down|sunset(?:ting)?)\s+(?:you\b|(?:the|this|your|our)\s+"
    r"(?:tool|product|platform|service|app|account|subscription|contract)\b|clearloop\b)",
    r"\b(?:won't|will\s+not|wont|not\s+going\s+to|don't\s+plan\s+to|do\s+not\s+plan\s+to|decided\s+not\s+to|"
    r"not\s+planning\s+to)\s+(?:\w+\s+)?(?:extend|continu(?:e|ing))\s+(?:the|our|my|with\s+(?:you|your|this)|"
    r"using)\b",
    r"\bso\s+(?:that\s+)?(?:we|i)\s+can\s+(?:leave|move\s+on|switch|cancel)\b",
    r"\b(?:we're|we\s+are|i'm|i\s+am)\s+(?:so\s+|really\s+|totally\s+|just\s+)?done\s+with\s+"
    r"(?:you|this|your|it)\b",
    r"\b(?:we'll|we\s+will|i'll|i\s+will)\s+be\s+gone\b",
    # the intent to leave, stated without an object ("we want to leave", "nobody wants to leave": negated)
    r"\b(?:wants?|wanting|like|plan(?:s|ning)?|going|decided|ready|about|need)\s+to\s+(?:leave|switch|churn|"
    r"move\s+on|cancel)(?=\s*(?:$|[.,!;]|(?:now|soon|too|already|at|by|after|in|next|this)\b))",
    r"\b(?:we(?:'re| are)|i(?:'m| am))\s+(?:leaving|churning|out)(?=\s*(?:$|[.,!;]|(?:at|by|after|in|next|"
    rf"soon|for\b(?!\s+{_TIME_OFF}))\b))",
    r"\bfind\s+(?:another|a\s+different|a\s+new|a\s+cheaper)\s+(?:provider|vendor|tool|solution|platform)",
    r"\blet\s+(?:the|our|my)\s+(?:contract|subscription|licen[cs]e)\s+(?:lapse|expire|run\s+out)",
    r"\bgiven\s+notice\b|\bnotice\s+of\s+(?:cancellation|termination|non-renewal)",
    r"\bterminat(?:e|ing)\s+(?:the\s+|our\s+|my\s+)?(?:contract|subscription|agreement|account)",
]
_EN_SOFT = [
    r"\b(?:looking|look|shopping|searching|search)\s+(?:at|for|around\s+for|into)\s+(?:other|alternative|"
    r"alternatives|another|competitors?|a\s+replacement|replacements|other\s+options)",
    r"\b(?:evaluat(?:e|ing)|trial(?:l?ing)|testing|considering|compar(?:e|ing))\s+(?:other|alternative|"
    r"alternatives|competitors?|competing|another)",
    # hedged intent to stay: a doubt about renewing, staying or continuing ("not sure we'll stay with you",
    # "I don't think we'll continue", "can't see us renewing", "unclear whether we will renew")
    r"(?:\bnot\s+(?:sure|certain|convinced)|\bunsure|\buncertain|\bunclear|(?<!no\s)\bdoubt(?:ful)?|"
    r"\b(?:don't|do\s+not|dont)\s+(?:think|know\s+if|know\s+whether|see)|\b(?:can't|cannot)\s+see|"
    r"\bwonder(?:ing)?|\bweigh(?:ing)?|\bquestion(?:ing)?|\bdebating|\bdeciding|\bno\s+idea)\s+"
    r"(?:if\s+|whether\s+)?(?:(?:we|i|us|the\s+team|our\s+team|the\s+company)(?:'ll|'d|\s+will|\s+would|"
    r"\s+should|\s+can)?\s+|(?:it\s+makes\s+sense\s+)?to\s+)(?:(?:still|really|actually|even)\s+)?"
    r"(?:renew(?:ing)?|stay(?:ing)?|continu(?:e|ing)|extend(?:ing)?|be\s+(?:a\s+)?customers?\b|"
    r"stick(?:ing)?\s+(?:with|around)|remain(?:ing)?\s+(?:with|on|a\s+customer)|be\s+(?:renewing|staying|"
    r"continuing|around|back)|keep(?:ing)?\s+(?:paying|you\b|it\b|this\s+(?:tool|product|platform|service|"
    r"app)|our\s+(?:subscription|plan|account|contract|seats|licen[cs]es))|switch|leave|cancel|move\s+on)",
    r"\b(?:reconsider(?:ing)?|rethink(?:ing)?|re-evaluat(?:e|ing)|questioning)\s+(?:our|the|my)\s+"
    r"(?:subscription|contract|renewal|plan|investment|decision)",
    r"\bhard\s+to\s+(?:justify|argue\s+for|defend)\s+(?:the\s+)?(?:cost|price|renewal|renewing|spend|paying|"
    r"keeping)",
    r"\b(?:renewal|contract|subscription)\s+(?:is|are|'s)\s+(?:now\s+)?(?:on\s+hold|paused|in\s+question|"
    r"at\s+risk|under\s+review)",
    r"\b(?:talks|talking|conversations?|negotiating)\s+with\s+(?:\w+\s+){0,3}(?:competitors?|another\s+"
    r"(?:vendor|provider)|other\s+(?:vendors|providers))",
    r"\b(?:find|found|finding|need|looking\s+for)\s+(?:a\s+)?replacement\b",
    r"\bconsider(?:ing)?\s+(?:leaving|switching|cancel(?:l?ing)|moving\s+(?:away|on)|other\s+(?:tools|"
    r"vendors|providers|options))",
    r"\bno\s+longer\s+(?:going\s+to\s+|planning\s+to\s+)?(?:use|using|need|needing|pay|paying)\b",
    r"\blet\s+(?:it|them|this|the\s+\w+|our\s+\w+)\s+(?:lapse|expire)",
    r"\b(?:stop|cancel|turn\s+off|disable|don't|do\s+not)\s+(?:the\s+|our\s+)?auto-?renew",
    r"\b(?:look(?:ing)?|search(?:ing)?)\s+for\s+(?:something\s+else|another\s+(?:tool|solution|provider|"
    r"vendor))",
    r"\b(?:put|putting|placed)\s+(?:the\s+|our\s+)?(?:renewal|contract)\s+on\s+hold",
    r"\busing\s+(?:a|one\s+of\s+your|your)\s+competitors?\b",
    # shrinking the relationship: fewer seats or licences, a smaller plan
    r"\b(?:reduc(?:e|ing)|cut(?:ting)?|downsiz(?:e|ing)|scal(?:e|ing)\s+(?:back|down))\s+(?:(?:our|the|"
    r"number\s+of|from|down)\s+)*(?:\w+\s+)?(?:seats|licen[cs]es|users)",
    r"\bthinking\s+(?:about|of)\s+(?:cancel|leav|switch|mov|drop|churn)",
    r"\b(?:might|may|could|will\s+probably|would)\s+(?:have\s+to\s+)?(?:cancel|leave|switch|churn|not\s+renew)",
    r"\bdowngrad(?:e|ing)\s+(?:to\s+)?(?:the\s+)?free",
    r"\btrial(?:l?ing)\s+(?:a\s+)?competitor",
    r"\b(?:renewal|renewing)\s+(?:is|looks|seems)\s+(?:\w+\s+)?unlikely",
    r"\bcompetitors?\s+(?:is|are|offers?|has|have)\s+(?:\w+\s+){0,2}(?:cheaper|better)",
    # analyser 1.7.0 (from the misses of nlp/tests/churn_dev_b.tsv): a trial or pilot with a competitor,
    # a cost that can no longer be justified, time to find something else
    r"\b(?:trials?|pilots?|poc|proof\s+of\s+concept)\s+(?:\w+\s+){0,3}with\s+(?:a\s+|one\s+of\s+your\s+|your\s+)?"
    r"competitors?\b",
    r"\b(?:can't|cannot|can\s+no\s+longer|couldn't|unable\s+to|impossible\s+to)\s+justify\s+(?:the\s+|this\s+|"
    r"our\s+|its\s+)?(?:cost|price|spend|renewal|subscription|expense|paying|keeping)",
    r"\b(?:time|need|have|going|want)\s+to\s+(?:find|look\s+for)\s+(?:something\s+else|another\s+(?:tool|"
    r"solution|provider|vendor|option))(?!\s+to\b)",
]
# a move to a named product, matched on the sentence's own case (analyser 1.7.0): "we're moving everything
# over to HubSpot", "half the team already switched to Typeform"; the clause must name people moving (we, I,
# the team, users, ...), and a weekday or month after "to" is a date, not a product
_EN_NAMED = re.compile(
    r"\b(?:[Ss]witch(?:ed|ing)?|[Mm]ov(?:e|ed|ing)|[Mm]igrat(?:e|ed|ing)|[Gg]o(?:ing)?\s+back|[Ww]ent\s+back)\s+"
    r"(?:(?:everything|all|it|us|over|(?:our|my)\s+\w+|the\s+(?:whole\s+)?(?:team|company))\s+){0,3}to\s+"
    r"(?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|"
    r"July|August|September|October|November|December)\b)[A-Z][A-Za-z0-9]+"
)
_EN_PEOPLE = re.compile(
    r"\b(?:we|i|us|team|everyone|everybody|company|users|people|colleagues|staff)\b|\bwe(?:'re|'ve|'ll)|\bi(?:'m|'ve)"
)
# negators in front of a match (within the same clause) that cancel it
_EN_NEG = re.compile(
    r"(?:\bnot|\bnever|n't|\bno\s+(?:plans?|intention|reason|need|desire)\s+(?:\w+\s+){0,2}to|\bno\s+way|"
    r"\bnobody|\bno\s+one|\bno-one|\bnone\s+of\s+(?:us|them|the\s+team)|"
    r"\bwouldn't|\bwould\s+never|\bdon't\s+want\s+to|\bcan't\s+imagine|\bcannot\s+imagine|"
    r"\balmost|\bnearly|\bstopped|\binstead\s+of)\W+(?:\w+\W+){0,3}$"
    r"|\bno\s+$"  # "no" right before the phrase: "we have no plans to switch"
)
_EN_EVER = re.compile(r"\bif\s+(?:\w+\s+){0,2}(?:ever|had\s+to|were\s+to)\b|\bwere\s+we\s+to\b")
_EN_IF = re.compile(r"\b(?:if|unless|or\s+else|otherwise)\b")
_EN_THREAT_IF = re.compile(
    r"\bunless\b|\bor\s+else\b|\botherwise\b|\bif\b[^.?!]*(?:n't|\bnot\b|\bno\b|\bdon't\b|"
    r"\bkeeps?\s+\w+ing\b|\bagain\b|\bcontinues?\b|\bstill\b|\bdoesn't\b|\bgoes\s+up\b|"
    r"\braise|\bincrease|\bnothing\b|\bhappens\b)"
)

_PATTERNS: dict[str, tuple[list[re.Pattern], list[re.Pattern]]] = {
    "en": ([re.compile(p) for p in _EN_DIRECT], [re.compile(p) for p in _EN_SOFT]),
    "de": (
        [
            re.compile(p)
            for p in (
                r"\bkündig(?:en|e|t|ung)\b",
                r"\b(?:nicht|kaum)\s+(?:mehr\s+)?verlängern\b",
                r"\bwechseln\s+(?:zu|zur|zum)\s+(?:einem?\s+)?(?:anderen|konkurren)",
                r"\b(?:anbieter|tool|plattform|lösung|software)\s+(?:zu\s+)?wechseln\b",
                r"\bverlassen\s+(?:euch|sie)\b",
            )
        ],
        [
            re.compile(p)
            for p in (
                r"\b(?:suchen|schauen|sehen)\s+(?:uns\s+)?(?:nach\s+)?(?:alternativen|anderen\s+anbietern)",
                r"\bnicht\s+sicher,?\s+ob\s+wir\s+(?:\w+\s+)?(?:verlängern|bleiben)",
                r"\balternativen\b",
            )
        ],
    ),
    "fr": (
        [
            re.compile(p)
            for p in (
                r"\brésili(?:er|ons|é|ation)\b",
                r"\bannuler\s+(?:notre|mon|l')\s*abonnement",
                r"\b(?:ne\s+)?(?:pas|plus)\s+renouveler\b",
                r"\bpasser\s+(?:chez|à)\s+(?:un\s+)?(?:autre|concurrent)",
                r"\bchanger\s+de\s+(?:fournisseur|prestataire|solution|outil)",
            )
        ],
        [
            re.compile(p)
            for p in (
                r"\b(?:cherch|regard)\w*\s+(?:d')?(?:autres\s+solutions|alternatives|ailleurs)",
                r"\bpas\s+sûre?s?\s+de\s+(?:renouveler|rester|continuer)",
                r"\balternatives?\b",
            )
        ],
    ),
    "es": (
        [
            re.compile(p)
            for p in (
                r"\bcancel(?:ar|aremos|aré|amos|ación)\s+(?:la\s+|nuestra\s+|mi\s+)?(?:suscripción|cuenta|contrato)",
                r"\bno\s+(?:vamos\s+a\s+|voy\s+a\s+)?renovar",
                r"\bcambiar(?:nos)?\s+(?:a|de)\s+(?:otro|otra|proveedor|herramienta|la\s+competencia)",
                r"\bdar\s+de\s+baja\b",
            )
        ],
        [
            re.compile(p)
            for p in (
                r"\bbuscando\s+(?:otras\s+)?(?:alternativas|otras\s+opciones|otro\s+proveedor)",
                r"\bno\s+(?:estamos\s+|estoy\s+)?segur[oa]s?\s+de\s+(?:renovar|quedarnos|seguir|continuar)",
                r"\balternativas\b",
            )
        ],
    ),
}
_NEG = {
    "en": _EN_NEG,
    "de": re.compile(r"(?:\bnicht|\bkein\w*|\bnie)\W+(?:\w+\W+){0,2}$"),
    "fr": re.compile(r"(?:\bne|\bn'|\bjamais|\bpas)\W+(?:\w+\W+){0,2}$"),
    "es": re.compile(r"(?:\bno|\bnunca|\bjamás)\W+(?:\w+\W+){0,2}$"),
}
_CLAUSE = re.compile(r"[,;:]|\bbut\b|\bhowever\b|\baber\b|\bmais\b|\bpero\b")
_HAS_NEG_INSIDE = re.compile(r"n't|\bnot\b|\bwon't|\bcannot\b|\bnicht\b|\bpas\b|\bplus\b|\bno\b|\bkaum\b")


# each pattern with the words one of which its every match contains (nlp.prefilter)
_GUARDED: dict[str, tuple[list[tuple[re.Pattern, tuple[str, ...] | None]], ...]] = {
    lang: tuple([(p, needs(p)) for p in group] for group in groups) for lang, groups in _PATTERNS.items()
}


def normalise(text: str) -> str:
    """Lower case with plain apostrophes (the form the patterns are written for)."""
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def churn_risk(sentence: str, lang: str = "en") -> tuple[float, int, int] | None:
    """(score, start, end) of the strongest churn-risk evidence in one sentence, or None."""
    patterns = _GUARDED.get(lang)
    if patterns is None:
        return None
    low = normalise(sentence)
    best: tuple[float, int, int] | None = None
    for score, group in ((DIRECT, patterns[0]), (SOFT, patterns[1])):
        for pat, words in group:
            if words is not None and not any(map(low.__contains__, words)):
                continue  # none of the words every match contains (nlp.prefilter.may_match, inlined)
            for m in pat.finditer(low):
                s = _judge(low, m, score, lang)
                if s is not None and (best is None or s > best[0]):
                    best = (s, m.start(), m.end())
        if best is not None and best[0] >= DIRECT:
            break
    if lang == "en" and (best is None or best[0] < DIRECT):
        m = _EN_NAMED.search(sentence.replace("\u2019", "'").replace("\u2018", "'"))
        if m is not None:
            before = low[: m.start()]
            cut = max((c.end() for c in _CLAUSE.finditer(before)), default=0)
            if _EN_PEOPLE.search(before[cut:]):
                s = _judge(low, m, DIRECT, lang)
                if s is not None and (best is None or s > best[0]):
                    best = (s, m.start(), m.end())
    return best


def negated_churn(sentence: str, lang: str = "en") -> tuple[int, int] | None:
    """(start, end) of a churn phrase that the sentence negates ("nobody on the team wants to leave", "no
    plans to switch providers"), from the negator to the phrase's end: a statement of staying, not a risk.
    None when there is none, or when the sentence also holds a churn risk."""
    patterns = _GUARDED.get(lang)
    if patterns is None:
        return None
    low = normalise(sentence)
    neg = _NEG[lang]
    for group in patterns:
        for pat, words in group:
            if words is not None and not any(map(low.__contains__, words)):
                continue
            for m in pat.finditer(low):
                if _HAS_NEG_INSIDE.search(m.group(0)):
                    continue
                before = low[: m.start()]
                cut = max((c.end() for c in _CLAUSE.finditer(before)), default=0)
                n = neg.search(before[cut:])
                if n is not None:
                    return cut + n.start(), m.end()
    return None


def _judge(low: str, m: re.Match, score: float, lang: str) -> float | None:
    """The match's score after negation, hypothetical and conditional checks (None: not churn)."""
    before = low[: m.start()]
    cut = max((c.end() for c in _CLAUSE.finditer(before)), default=0)
    clause_before = before[cut:]
    neg = _NEG[lang]
    if not _HAS_NEG_INSIDE.search(m.group(0)) and neg.search(clause_before):
        return None
    if lang != "en":
        return score
    if _EN_IF.search(before) or _EN_IF.search(low[m.end() :]):
        # a condition: a threat when it names a failure ("if this isn't fixed", "unless"), else hypothetical
        if _EN_EVER.search(low):
            return None  # "if we ever ...": a hypothetical
        return min(score, CONDITIONAL) if _EN_THREAT_IF.search(low) else None
    return score
