"""English phrase bank for support CSAT and CES comments and for feedback-form messages.

Whole sentences here (they end with a stop); slots: {agent}, {problem}, {number}, {feature}, {task},
{action}, {symptom}, {env}, {integration}, {team}, {thing}, {very}.
"""

from __future__ import annotations

PROBLEMS = [
    "an SSO login issue",
    "a broken Salesforce sync",
    "a billing question",
    "an export that kept failing",
    "API rate limit errors",
    "a permissions problem",
    "a dashboard that wouldn't load",
    "duplicate records",
    "a missing invoice",
    "a Slack alert that stopped working",
    "a data import error",
    "a seat count mix-up",
    "a report with wrong totals",
    "two-factor login trouble",
    "a webhook that stopped firing",
]

CSAT = {
    "positive": [
        "{agent} was {very} helpful and sorted out {problem} in minutes.",
        "Quick response, issue fixed the same day.",
        "Fast and friendly, thanks {agent}!",
        "Great support as always.",
        "Clear explanation and a workaround until the fix ships.",
        "{agent} went above and beyond to fix {problem}.",
        "Resolved on the first reply. That's rare.",
        "Very knowledgeable, understood {problem} right away.",
        "Thanks for the quick turnaround on {problem}.",
        "Friendly, fast and fixed. Perfect.",
    ],
    "mixed": [
        "{agent} was friendly, but it took {number} days to resolve {problem}.",
        "Solved eventually, but only after I escalated.",
        "The fix works, but I'd have liked an update while waiting.",
        "Helpful answer, slow first response.",
        "Got there in the end, {number} emails later.",
    ],
    "negative": [
        "It took {number} days to get a first reply about {problem}.",
        "The issue still isn't fixed after {number} weeks.",
        "I had to explain {problem} {number} times to different people.",
        "The answer was a copy-paste from the docs that didn't apply to us.",
        "The ticket was closed without checking that the fix worked.",
        "Nobody seemed to understand {problem}.",
        "Still waiting. This is blocking {team}.",
        "Support told us it's a known bug with no date for a fix.",
    ],
}

CES = {
    "positive": [
        "Easy, the help center article had the answer.",
        "Very easy, one email and it was done.",
        "Chat got me to the right person straight away.",
        "Painless. {agent} handled everything.",
        "Simple process, no back and forth.",
        "I found the fix myself in the docs in two minutes.",
    ],
    "mixed": [
        "Not hard, but I had to wait a while for {problem}.",
        "Took a couple of tries to find the right form.",
        "Fine once I reached a human.",
    ],
    "negative": [
        "I had to go through chat, email and a call to get {problem} fixed.",
        "Too many steps; I was bounced between teams.",
        "I had to re-explain everything each time I was transferred.",
        "The chatbot kept sending me in circles.",
        "Way too much effort for {problem}.",
        "I had to chase {number} times before anyone looked at it.",
    ],
}

# Openers and extra sentences around a support comment's main sentence (empty strings: none).
SUPPORT_OPENERS = {
    "positive": ["Thanks!", "Great support.", "Excellent.", "Top notch.", "Impressed.", "", "", "", ""],
    "mixed": ["OK overall.", "Fine.", "", "", ""],
    "negative": ["Not impressed.", "Frustrating.", "Disappointing.", "", "", ""],
}
SUPPORT_EXTRAS = {
    "positive": [
        "The workaround saved our week.",
        "Appreciated the follow-up the next day.",
        "{agent} even checked back a day later.",
        "The docs link was spot on.",
        "This is why we stay with Tallyworks.",
        "Much better than last time.",
        "Keep it up.",
        "{team} noticed the difference.",
    ],
    "mixed": [
        "A status update would have helped.",
        "Please keep us posted next time.",
        "The first answer missed the point.",
        "Second time this month.",
    ],
    "negative": [
        "We pay for premium support.",
        "This is blocking {team}.",
        "Our CSM had to step in.",
        "Third time this quarter.",
        "Please look at how tickets are routed.",
        "Not the experience we expect.",
        "We lost a day of work over this.",
    ],
}

FORM = {
    "bug": [
        "When I {action}, {symptom}. {env}",
        "Bug: {symptom} when I {action}. {env}",
        "Since the last update, {symptom} whenever I {action}.",
    ],
    "feature_request": [
        "Please add {feature}.",
        "It would save us hours every week if we had {feature}.",
        "Any plans for {feature}? {team} asks about it constantly.",
        "We'd love {feature}.",
        "Feature request: {feature}. Happy to join a beta.",
    ],
    "question": [
        "How do I {task}?",
        "Is there a way to {task}?",
        "Quick question: can we {task}?",
        "Where do I go to {task}? I couldn't find it in the docs.",
    ],
    "praise": [
        "Just wanted to say the new {thing} is great.",
        "Big thanks to {agent} for the help last week.",
        "The {thing} saved our team a ton of time this quarter. Thank you!",
        "Loving the {thing}, nice work.",
    ],
    "other": [
        "Our billing address changed, who should we tell?",
        "Can we get a copy of your SOC 2 report for our vendor review?",
        "We're reorganising our workspace, can someone from CS help us plan it?",
        "Is there a status page we can subscribe to?",
        "Could you send us the renewal quote a bit earlier this year?",
    ],
}

ACTIONS = [
    "export a dashboard to PDF",
    "filter the accounts list by owner",
    "edit a saved report",
    "invite a new user",
    "sync with Salesforce",
    "open the mobile app",
    "change the date range on a chart",
    "bulk-update records",
    "upload a CSV",
    "switch workspaces",
]
SYMPTOMS = [
    "the charts are cut off",
    "nothing happens",
    "I get an error 500",
    "the page freezes",
    "dates shift by one day",
    "the totals are wrong",
    "I'm logged out",
    "the spinner never stops",
    "half the columns are empty",
]
ENVIRONMENTS = [
    "Chrome on Windows.",
    "Happens in Safari too.",
    "Started after last week's release.",
    "Only on large workspaces.",
    "",
    "",
]
TASKS = [
    "change the owner of a dashboard",
    "export all records with their history",
    "set up SSO with Okta",
    "connect a second Salesforce org",
    "schedule a report every Monday",
    "restrict a team to its own data",
    "undo a bulk update",
    "rotate our API key",
    "move users between workspaces",
]
THINGS = [
    "report builder",
    "dashboard filters",
    "Slack integration",
    "mobile app",
    "onboarding checklist",
    "search",
    "bulk editor",
]
