"""Token flags (a bit set per token type, computed once in nlp.tokens) and the info tuple layout."""

from __future__ import annotations

# Token flags (bit set), computed once per distinct token string in nlp.tokens.
F_NEG, F_BUT, F_SUB, F_END, F_HARD, F_SOFT = 1, 2, 4, 8, 16, 32
F_EXCL, F_QUEST, F_UPPER, F_ALPHA, F_STOP, F_SPACE = 64, 128, 256, 512, 1024, 2048
F_NO, F_CLITIC, F_HYPHEN, F_COMMA, F_ALSO, F_NONASCII = 4096, 8192, 16384, 32768, 65536, 131072
# F_NONASCII: the token has a non-ASCII letter (language evidence; emoji and dashes are not)
F_MWE = 262144  # anchor word of a multi-word expression, or a hyphen (compound candidate)
F_FOREIGN = 524288  # a function word of a non-English profile (nlp.language) that English lacks
F_CONTENT = 1048576  # can be part of a keyphrase (nlp.keyphrases)
F_VALTOK = 1 << 21  # has a valence or a negated valence: scored
F_HOOK = 1 << 22  # starts or anchors a taxonomy match (set by TokenTable when there is a matcher)
F_FUZZY = 1 << 23  # typo-corrected to a taxonomy word (nlp.matcher)
F_LEAST = 1 << 24  # "least": negates like VADER's rule, except in "at least" / "very least"
SCOPE_STOP = F_END | F_HARD | F_COMMA | F_BUT | F_SUB  # negation does not reach across these

# info tuple layout (see nlp.tokens.TokenTable): lower, valence, negated valence, booster, flags, key, ...
LOWER, VAL, NEGVAL, BOOST, FLAGS = 0, 1, 2, 3, 4
MWES_AT = 11  # MWEs anchored at this word: ((words, offset of the anchor, valence), ...)
