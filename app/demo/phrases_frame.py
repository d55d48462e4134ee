"""The frame around demo comments: openers, closers, short answers, wishes, slot values and typos.

Used by comments.py with the clauses of phrases_en.py and phrases_support.py.
"""

from __future__ import annotations

FEATURES = [
    "a dark mode",
    "custom fields on dashboards",
    "scheduled PDF exports",
    "a proper audit log",
    "SCIM provisioning",
    "a two-way HubSpot sync",
    "bulk editing",
    "a better mobile app",
    "a Power BI connector",
    "role-based permissions per workspace",
    "webhooks for status changes",
    "multi-currency support",
    "saved filters",
    "Slack alerts per team",
    "keyboard shortcuts",
    "an EU data residency option",
    "sandbox environments",
    "field-level history",
]
INTEGRATIONS = [
    "Salesforce",
    "Salesforce",
    "Slack",
    "HubSpot",
    "Jira",
    "Zendesk",
    "Microsoft Teams",
    "Snowflake",
    "Zapier",
]
TEAMS = [
    "our sales team",
    "the support team",
    "our ops folks",
    "finance",
    "our analysts",
    "the exec team",
    "our CS team",
    "marketing",
]
NUMBERS = ["two", "three", "four", "five"]
TIMEFRAMES = [
    "for weeks",
    "since the last release",
    "every Monday morning",
    "lately",
    "for the past month",
    "since the outage",
]
INTENSIFIERS = ["really", "super", "very", "incredibly", "pretty", "quite", "extremely", "so"]
PRODUCT_NAMES = ["Tallyworks", "the platform", "the tool", "the product", "it"]

WISHES = [
    "if reporting were more flexible",
    "if the {integration} sync were reliable",
    "with {feature}",
    "if it were a bit cheaper",
    "if support were faster",
    "if it were faster on big accounts",
    "if the mobile app were better",
    "once {feature} ships",
]

PROMOTER_WISHES = [
    "Only wish it had {feature}.",
    "Would love {feature} next.",
    "Next on our wish list: {feature}.",
    "If you add {feature}, even better.",
    "One small thing: the {integration} sync could be faster.",
]

OPENERS = {
    "positive": [
        "Great product overall.",
        "We love it.",
        "Really happy with Tallyworks.",
        "Solid tool.",
        "Honestly one of the best tools we use.",
        "Two years in and still happy.",
        "Huge fan.",
        "Couldn't run our ops without it.",
        "Very happy customer here.",
        "Big improvement over our old setup.",
        "",
        "",
        "",
    ],
    "mixed": [
        "It's good, mostly.",
        "Decent tool.",
        "Does the job.",
        "Mixed feelings.",
        "We like it, but there's room to improve.",
        "Overall fine.",
        "It's OK.",
        "Some good, some bad.",
        "",
        "",
    ],
    "negative": [
        "Frustrating few months.",
        "Disappointed.",
        "Not great lately.",
        "Honestly, not happy.",
        "I hate to say it, but this isn't working for us.",
        "Sorry, but no.",
        "Tough year with Tallyworks.",
        "",
        "",
    ],
}
CLOSERS = {
    "positive": [
        "Keep it up!",
        "Thanks to the whole team.",
        "Would recommend it to any ops team.",
        "Already recommended it to two friends.",
        "Looking forward to what's next.",
        "Thank you!",
        "",
        "",
        "",
        "",
    ],
    "mixed": [
        "Fix that and it's a 10.",
        "Hope this gets better soon.",
        "Still, we'd recommend it.",
        "",
        "",
        "",
    ],
    "negative": [
        "Please fix this.",
        "We're looking at alternatives.",
        "Hard to justify the price right now.",
        "Not sure we'll renew.",
        "This needs attention.",
        "Very frustrating.",
        "",
        "",
    ],
}
SHORT = {
    "positive": [
        "Great tool!",
        "Love it.",
        "Does what it says.",
        "Works great.",
        "Excellent support.",
        "Very easy to use.",
        "Fast and reliable.",
        "Best in class.",
        "Super helpful team.",
        "No complaints.",
        "Great value.",
        "Makes my job easier.",
    ],
    "mixed": [
        "It's fine.",
        "Good but pricey.",
        "OK, could be faster.",
        "Works, mostly.",
        "Room to improve.",
        "Solid but clunky.",
    ],
    "negative": [
        "Too slow.",
        "Too expensive.",
        "Buggy.",
        "Support is slow.",
        "Not worth it.",
        "Too many issues lately.",
        "Hard to use.",
    ],
}
TYPOS = {
    "definitely": "definately",
    "receive": "recieve",
    "separate": "seperate",
    "a lot": "alot",
    "really": "realy",
    "the": "teh",
    "which": "wich",
    "until": "untill",
    "their": "there",
    "Salesforce": "salesforce",
    "because": "becuase",
    "dashboards": "dashbaords",
}
