"""English phrase bank for demo NPS comments: clauses per topic and tone, openers, closers and slots.

Clauses start in lower case and carry no final stop; comments.py joins them into sentences. Slots in braces
({product}, {very}, {integration}, {feature}, {csm}, {month}, {team}, {number}) are filled at random.
"""

from __future__ import annotations

POSITIVE = {
    "onboarding": [
        "onboarding was smooth and {csm} walked us through everything",
        "we were up and running in under {number} weeks",
        "the onboarding sessions were {very} well organised",
        "getting our whole team set up took less than a day",
        "the implementation team knew exactly what they were doing",
        "the setup wizard made the first import painless",
    ],
    "billing": [
        "invoices are clear and always on time",
        "billing is simple, no surprises",
        "switching to annual billing was {very} easy",
        "finance likes that the invoices match our PO numbers",
    ],
    "performance": [
        "{product} is {very} fast, even with our biggest reports",
        "dashboards load in a second or two",
        "performance has been rock solid",
        "it's snappy again since the last release",
        "we never have downtime during business hours",
    ],
    "support": [
        "support answers within the hour, every time",
        "the support team is {very} responsive and knows the product inside out",
        "{csm} is always on top of things",
        "whenever something breaks, support fixes it fast",
        "our CSM {csm} feels like part of our team",
        "support actually reads the ticket before answering",
    ],
    "integrations": [
        "the {integration} integration just works",
        "the {integration} sync saves {team} hours every week",
        "setting up the {integration} connector took ten minutes",
        "the API is clean and well documented",
        "having everything flow into {integration} is a huge win",
    ],
    "reporting": [
        "the dashboards give our leadership exactly what they need",
        "reporting is {very} flexible",
        "scheduled reports mean nobody builds spreadsheets anymore",
        "the new report builder is a big step up",
        "exports to Excel are clean and easy to share",
        "{team} lives in the dashboards",
    ],
    "pricing": [
        "it's good value for what we pay",
        "pricing is fair for a tool we use every day",
        "the per-seat pricing scales well for us",
    ],
    "bugs": [
        "it's {very} stable, we rarely hit a bug",
        "releases are solid and don't break our workflows",
        "the few bugs we reported were fixed within days",
    ],
    "features": [
        "you keep shipping features we actually asked for",
        "the roadmap is moving in the right direction",
        "automations took a lot of manual work off our plate",
        "the recent workflow features are {very} useful",
    ],
    "usability": [
        "{product} is {very} easy to use",
        "new hires pick it up without any training",
        "the interface is clean and intuitive",
        "everything is where you expect it to be",
        "even our least technical people use it daily",
    ],
    "docs": [
        "the help center answers most of our questions",
        "documentation is thorough and up to date",
        "the video tutorials are {very} helpful for new users",
    ],
    "security": [
        "SSO with Okta was easy to set up",
        "our security team was happy with the SOC 2 report",
        "the permission model gives us the control we need",
        "audit logs made our compliance review painless",
    ],
}

NEGATIVE = {
    "onboarding": [
        "onboarding took much longer than promised",
        "the implementation dragged on for {number} months",
        "we were left on our own after the kickoff call",
        "the initial data import was a nightmare",
        "nobody explained how to configure permissions during onboarding",
    ],
    "billing": [
        "we were billed twice in {month} and it took weeks to sort out",
        "invoices are confusing and don't match our contract",
        "adding seats mid-term is a billing headache",
        "the auto-renewal caught our finance team by surprise",
        "getting a simple invoice correction takes forever",
    ],
    "performance": [
        "it's {very} slow when we open large dashboards",
        "pages take 10+ seconds to load {timeframe}",
        "we get timeouts on exports almost every day",
        "the app has been sluggish {timeframe}",
        "search is painfully slow once you have a few thousand records",
        "the outage in {month} cost us half a day",
    ],
    "support": [
        "support takes days to answer even urgent tickets",
        "we keep getting canned responses from support",
        "our CSM changed {number} times this year",
        "nobody followed up on our escalation",
        "support closes tickets before the issue is actually fixed",
    ],
    "integrations": [
        "the {integration} sync keeps dropping records",
        "the {integration} integration breaks every few weeks",
        "we had to build our own workaround because the {integration} connector is so limited",
        "the API rate limits are {very} restrictive",
        "field mapping to {integration} is clunky and error-prone",
        "duplicates show up in {integration} after every sync",
    ],
    "reporting": [
        "reporting is too rigid for what we need",
        "we still export everything to Excel because the dashboards can't do it",
        "the numbers in the dashboards don't match our own data",
        "you can't schedule reports per team",
        "custom reports are {very} hard to build",
    ],
    "pricing": [
        "it's {very} expensive for what we get",
        "the price increase in {month} was hard to swallow",
        "we pay for seats we can't use",
        "key features are locked behind the Enterprise plan",
        "the renewal quote was way higher than last year",
    ],
    "bugs": [
        "every release seems to break something",
        "we hit bugs in the editor almost daily",
        "the same bug we reported in {month} is still there",
        "filters randomly reset when you switch pages",
        "notifications fire twice or not at all",
    ],
    "features": [
        "we've been asking for {feature} for over a year",
        "the lack of {feature} is a real blocker for us",
        "the roadmap doesn't seem to care about what we need",
        "basic things like {feature} are still missing",
    ],
    "usability": [
        "the interface is cluttered and confusing",
        "it takes way too many clicks to do simple things",
        "our team still struggles to find basic settings",
        "the new navigation is a step backwards",
        "it's hard to train new people on it",
    ],
    "docs": [
        "the docs are outdated and don't match the product",
        "the API documentation is missing half the endpoints",
        "help articles never cover our actual use case",
    ],
    "security": [
        "SSO is only available on the top plan",
        "we still can't enforce SCIM provisioning",
        "the permission model is too coarse for our compliance needs",
        "our security review flagged the missing audit log",
    ],
}
