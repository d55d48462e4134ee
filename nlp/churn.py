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

English here; German, French and Spanish in :mod:`nlp.churn_intl` (analyser 1.9.0: the same parts in their
own words, negation and conditions per language). The text is matched lower-cased, with typographic
apostrophes made plain.
"""

from __future__ import annotations

import re

from nlp import churn_intl
from nlp.prefilter import Gate, clauses, needs

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
    # (analyser 1.8.0: not "would switch to dark mode", "might leave the app open": a verb with an object or a
    # direction is left to the patterns that know what is left or switched to)
    r"\b(?:might|may|could|will\s+probably|would)\s+(?:have\s+to\s+)?(?:cancel|leave|switch|churn|not\s+renew)"
    r"(?!\s+(?:to|on|off|between|from|over|in|into|the|a|an|my|our|it|this|that|back)\b)",
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
# Analyser 1.8.0: churn written as its parts, from principles rather than from any set's misses - someone
# ends, replaces, leaves or shrinks the relationship (an ending verb on the product or the contract), moves
# or goes over to an alternative, or searches among alternatives (soft); departure idioms; a doubt about the
# renewal stated about the renewal. Each part is a small vocabulary, so a paraphrase that combines known
# parts differently is found; the negation, hypothetical and conditional checks of :func:`_judge` apply.
# The product or relationship as an object, which must end its noun phrase (a clause end, a preposition, a
# conjunction or a time word follows), so "drop the app icon" or "leave the app open" is not leaving us.
_OBJ_END = (
    r"(?=\s*(?:$|[.,;:!?)\-]|(?:with|for|by|in|at|after|before|next|this|once|when|as|and|or|altogether|"
    r"entirely|completely|soon|now|today|because|since|unless|if|over|from|to|until|asap|already|too|"
    r"then|anymore|any\s+more|permanently|for\s+good)\b))"
)
_PRODUCT = (
    r"(?:you(?:\s+guys|\s+all)?|clearloop|(?:your|this)\s+(?:\w+\s+)?(?:tool|product|platform|service|app|"
    r"software|solution|vendor|provider|company|system)|the\s+(?:tool|product|platform|service|app|software))"
)
_RELATION = (
    r"(?:(?:our|my|the|this|your|whole|entire|annual|yearly|monthly|team|company|clearloop)\s+){1,3}"
    r"(?:subscription|account|contract|membership|licen[cs]es?|seats|renewal|workspace|agreement|"
    r"partnership|relationship|plan)s?"
)
# verbs that end it whatever the object; verbs that also name an action in the app ("exit the app", "leave
# the app to go to the website", "stop using the app, then ...") end it only for "you", Clearloop, a service
# or vendor ("your platform", "this vendor") or the relationship
_ENDING = (
    r"(?:cancel\w*|terminat\w*|ditch\w*|dump\w*|abandon\w*|scrap\w*|ax(?:e|es|ed|ing)|kill\w*|"
    r"discontinu\w*|retir\w*|decommission\w*|sunset\w*|replac\w*|offboard\w*|churn\w*|"
    r"get\w*\s+rid\s+of|got\s+rid\s+of|phas\w+\s+out|wind\w*\s+down|wound\s+down)"
)
_LEAVING = (
    r"(?:(?:stop\w*|quit\w*|ceas\w*)\s+(?:using|paying\s+for|working\s+with)|unsubscrib\w*\s+from|"
    r"walk\w*\s+away\s+from|walked\s+away\s+from|part\w*\s+ways\s+with|(?:say\w*|said)\s+goodbye\s+to|"
    r"break\w*\s+up\s+with|broke\s+up\s+with|mov\w*\s+on\s+from|pull\w*\s+out\s+of|back\w*\s+out\s+of|"
    r"leav\w*|left|quit\w*|drop\w*)"
)
_VENDOR = (
    r"(?:you(?:\s+guys|\s+all)?|clearloop|(?:your|this)\s+(?:\w+\s+)?(?:service|platform|vendor|provider|"
    r"company|solution))"
)
_ALT_ADJ = (
    r"(?:another|other|different|cheaper|less\s+expensive|more\s+affordable|competing|rival|"
    r"competitor(?:'s|s')?|alternative|in-?house|internal|home-?grown|open-?source|(?:an?\s+)?new|"
    r"simpler|better|(?:our|their)\s+own)"
)
_ALT_NOUN = (
    r"(?:tool|vendor|provider|platform|solution|product|service|app|system|software|suite|stack|"
    r"supplier|offering)s?"
)
_ALTERNATIVE = (
    rf"(?:(?:a|an|the|some)\s+)?(?:{_ALT_ADJ}\s+(?:\w+\s+)?{_ALT_NOUN}\b|competitors?\b|competition\b|"
    r"rivals?\b|(?:one\s+of\s+)?your\s+(?:competitors?|rivals?)\b|(?:something|someone|somebody|"
    r"somewhere)\s+(?:else|cheaper|different|simpler|better)\b)"
)
_ALTERNATIVES = (
    rf"(?:(?:an?|the|some|any)\s+)?(?:alternatives?\b|replacements?\b|competitors?\b|competition\b|"
    r"(?:one\s+of\s+)?your\s+(?:competitors?|rivals?)\b|(?:other|another|different|competing|rival|"
    rf"cheaper|alternative)\s+(?:\w+\s+)?{_ALT_NOUN}\b|(?:other|another|different|alternative)\s+options\b|"
    r"(?:something|someone)\s+(?:else|cheaper|different)\b)"
)
_EN_DIRECT += [
    # an ending verb on the product or the relationship: "we're dropping you", "ditching this tool"
    rf"\b{_ENDING}\s+(?:(?:all|of|with|using|our\s+use\s+of)\s+){{0,2}}(?:{_PRODUCT}|{_RELATION}){_OBJ_END}",
    rf"\b{_LEAVING}\s+(?:(?:all|of)\s+){{0,2}}(?:{_VENDOR}|{_RELATION}){_OBJ_END}",
    # a move to an alternative: "transitioning everything to a different platform", "going with a rival"
    r"\b(?:switch\w*|mov(?:e|es|ed|ing)|migrat\w*|transition\w*|port\w*|jump\w*|shift\w*|consolidat\w*|"
    r"standardi[sz]\w*|go|goes|going|gone|went|head\w*|chang\w*|sign\w*|chose|chosen|choos\w*|pick\w*|"
    r"select\w*|opt\w*\s+for|settl\w*\s+on|decided\s+on)\s+"
    r"(?:(?:everything|all|it|us|over|across|back|(?:our|my)\s+\w+|the\s+(?:whole\s+)?(?:team|company|"
    rf"data|surveys?|dashboards?|reports?))\s+){{0,3}}(?:to|onto|with|for|towards?)\s+{_ALTERNATIVE}",
    # a choice of an alternative: "we chose a different vendor", "we've picked a competitor"
    r"\b(?:chose|chosen|choos\w*|pick\w*|select\w*|hir(?:e|ed|ing)|award\w*\s+(?:the\s+)?(?:contract|deal)\s+to)\s+"
    rf"{_ALTERNATIVE}",
    r"\bcancel\s+(?:everything|it\s+all|all\s+of\s+it)\b",
    # departure idioms
    r"\bjump\w*\s+ship\b|\b(?:the\s+)?(?:last|final)\s+straw\b|\bone\s+foot\s+out\s+(?:of\s+)?the\s+door\b|"
    r"\bvot\w+\s+with\s+our\s+(?:feet|wallets?)\b|\b(?:on\s+our|on\s+my)\s+way\s+out\b|"
    r"\b(?:take|taking|took|spend|spending)\s+(?:our|my)\s+(?:\w+\s+)?(?:business|money|budget|spend)\s+"
    r"(?:elsewhere|somewhere\s+else)\b",
    # the relationship said not to go on, with its subject: "we won't be staying", "I'm not re-signing"
    r"\b(?:we|i|the\s+team|our\s+(?:team|company))\s+(?:(?:really|simply|just|definitely|certainly)\s+)?"
    r"(?:won't|will\s+not|aren't\s+going\s+to|are\s+not\s+going\s+to|am\s+not\s+going\s+to|'re\s+not\s+going\s+"
    r"to|'m\s+not\s+going\s+to|do\s+not\s+intend\s+to|don't\s+intend\s+to|have\s+no\s+intention\s+of)\s+"
    r"(?:be\s+)?(?:renew\w*|re-?sign\w*|re-?up\w*|extend\w*|stay\w*|continu\w*|keep\w*\s+(?:paying|using|you|"
    r"it|this)|sign\w*\s+(?:again|another|a\s+new)|stick\w*\s+(?:with|around))",
]
_EN_SOFT += [
    # a search among alternatives, now or to come (not a past one: "we compared other tools and chose you")
    r"\b(?:(?:look|search|shop|scout|hunt)(?:ing)?\s+(?:around\s+)?(?:at|for|into)|"
    r"(?:evaluat|assess|explor|research|compar|trial|test|pilot|demo|review|benchmark|consider|investigat|"
    r"vet|shortlist|scop)(?:e|es|ing)?|(?:talk|speak|meet)(?:ing)?\s+(?:to|with)|check(?:ing)?\s+out|"
    r"(?:get|getting|request|requesting|collect|collecting)\s+(?:quotes?|demos?|proposals?|pricing|offers?)\s+"
    rf"from)\s+(?:\w+\s+)?{_ALTERNATIVES}",
    # a doubt stated about the renewal or staying itself
    r"\b(?:renewal|renewing|staying|continuing|another\s+year)\s+(?:is|looks|seems|feels)\s+(?:now\s+|very\s+|"
    r"pretty\s+|highly\s+|increasingly\s+)?(?:unlikely|doubtful|uncertain|in\s+doubt|questionable|"
    r"up\s+in\s+the\s+air|off\s+the\s+table|not\s+(?:a\s+given|guaranteed|certain|likely|happening))",
    r"\b(?:(?:one|a|any)\s+(?:good\s+)?reason|why)\s+(?:(?:we|i)\s+(?:should|would)\s+|(?:should|would)\s+"
    r"(?:we|i)\s+)?(?:to\s+)?"
    r"(?:stay|renew|continue|keep\s+paying)\b",
    r"\bon\s+the\s+chopping\s+block\b",
    # value that has gone: "no longer worth the money", "not worth the price anymore" (a plain "not worth the
    # money" is a complaint about value, not yet a risk)
    r"\bno\s+longer\s+worth\s+(?:the\s+)?(?:money|price|cost|fee|subscription|renewal|what\s+we\s+pay)\b|"
    r"\b(?:not|isn't|is\s+not|hardly)\s+worth\s+(?:the\s+)?(?:money|price|cost|fee|subscription|renewal|"
    r"what\s+we\s+pay)\s+(?:any\s*more|any\s+longer)\b",
    # shrinking: a move to a lower plan
    r"\b(?:drop\w*|mov\w*|go|going|switch\w*|downgrad\w*)\s+(?:down\s+)?(?:to\s+)?(?:a\s+|the\s+)?"
    r"(?:lower|smaller|cheaper|basic|starter|free)\s+(?:plan|tier|package|edition)\b",
    r"\bdowngrad\w*\s+(?:our|the|my)\s+(?:plan|subscription|account|tier|licen[cs]es|seats)\b",
    r"\bdrop\w*\s+(?:a|one|two|our)\s+(?:plan\s+)?(?:tiers?|levels?)\b",
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
    r"\braise|\bincrease|\bnothing\b|\bhappens\b|\bstays?\b|\bremains?\b)"
    # analyser 1.8.0: a condition on being able to leave is a wish to leave ("we would leave if we could")
    r"|\bif\s+(?:we|i)\s+(?:could|can|were\s+able|had\s+(?:the\s+|a\s+)?choice)\b|\bif\s+it\s+(?:weren't|wasn't|were\s+not|"
    r"was\s+not)\s+for\b"
)

_PATTERNS: dict[str, tuple[list[re.Pattern], list[re.Pattern]]] = {
    "en": ([re.compile(p) for p in _EN_DIRECT], [re.compile(p) for p in _EN_SOFT]),
}
# German, French and Spanish: nlp.churn_intl (analyser 1.9.0, the same parts in their own words)
_NEG = {"en": _EN_NEG}
_CLAUSE = re.compile(r"[,;:]|\bbut\b|\bhowever\b|\baber\b|\bmais\b|\bpero\b")
_HAS_NEG_INSIDE = re.compile(r"n't|\bnot\b|\bwon't|\bcannot\b|\bnicht\b|\bpas\b|\bplus\b|\bno\b|\bkaum\b")


# each pattern with the words one of which its every match contains (nlp.prefilter)
_GUARDED: dict[str, tuple[list[tuple[re.Pattern, tuple[str, ...] | None]], ...]] = {
    lang: tuple([(p, needs(p)) for p in group] for group in groups) for lang, groups in _PATTERNS.items()
}


# English: every pattern is a unit of a :class:`nlp.prefilter.Gate` (bit k: pattern k of the direct group,
# then the soft group, then the named-product pattern), so a sentence's patterns are filtered in one pass
# over its words; nlp.intent's gate extends these units with its rules' (the same low bits)
EN_UNITS = [clauses(p) for group in _GUARDED["en"] for p, _ in group] + [clauses(_EN_NAMED)]
_EN_DIRECT_BITS = [(1 << k, p) for k, (p, _) in enumerate(_GUARDED["en"][0])]
_EN_SOFT_BITS = [(1 << (k + len(_EN_DIRECT_BITS)), p) for k, (p, _) in enumerate(_GUARDED["en"][1])]
_EN_NAMED_BIT = 1 << (len(EN_UNITS) - 1)
_EN_GATE = Gate(EN_UNITS)


def en_mask(low: str) -> int:
    """The English churn patterns that may match a normalised sentence (a bit set, see ``EN_UNITS``)."""
    return _EN_GATE.mask(low)


def normalise(text: str) -> str:
    """Lower case with plain apostrophes (the form the patterns are written for)."""
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def churn_risk(sentence: str, lang: str = "en", mask: int | None = None) -> tuple[float, int, int] | None:
    """(score, start, end) of the strongest churn-risk evidence in one sentence, or None. ``mask``: for
    English, the patterns that may match (:func:`en_mask` of the normalised sentence, or a gate's mask
    with the same low bits); computed when not given."""
    if lang in churn_intl.LANGS:
        plain = sentence.replace("\u2019", "'").replace("\u2018", "'")
        return churn_intl.churn_risk(plain, plain.lower(), lang)
    if lang != "en":
        return None
    low = normalise(sentence)
    if mask is None:
        mask = _EN_GATE.mask(low)
    best: tuple[float, int, int] | None = None
    for score, group in ((DIRECT, _EN_DIRECT_BITS), (SOFT, _EN_SOFT_BITS)):
        for bit, pat in group:
            if not mask & bit:
                continue  # none of the words every match contains (nlp.prefilter.Gate)
            for m in pat.finditer(low):
                s = _judge(low, m, score, lang)
                if s is not None and (best is None or s > best[0]):
                    best = (s, m.start(), m.end())
        if best is not None and best[0] >= DIRECT:
            break
    if (best is None or best[0] < DIRECT) and mask & _EN_NAMED_BIT:
        m = _EN_NAMED.search(sentence.replace("\u2019", "'").replace("\u2018", "'"))
        if m is not None:
            before = low[: m.start()]
            cut = max((c.end() for c in _CLAUSE.finditer(before)), default=0)
            if _EN_PEOPLE.search(before[cut:]):
                s = _judge(low, m, DIRECT, lang)
                if s is not None and (best is None or s > best[0]):
                    best = (s, m.start(), m.end())
    return best


def negated_churn(sentence: str, lang: str = "en", mask: int | None = None) -> tuple[int, int] | None:
    """(start, end) of a churn phrase that the sentence negates ("nobody on the team wants to leave", "no
    plans to switch providers"), from the negator to the phrase's end: a statement of staying, not a risk.
    None when there is none, or when the sentence also holds a churn risk. ``mask``: as :func:`churn_risk`."""
    if lang != "en":
        return None
    low = normalise(sentence)
    if mask is None:
        mask = _EN_GATE.mask(low)
    neg = _NEG[lang]
    for group in (_EN_DIRECT_BITS, _EN_SOFT_BITS):
        for bit, pat in group:
            if not mask & bit:
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
