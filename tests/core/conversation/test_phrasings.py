"""Phrasings that are not in the shared examples: how people type in a hurry and how Whisper writes speech."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from oppscout.core.conversation.parser import Intent, parse
from tests.core.conversation.test_shared_examples import check

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # a Sunday

S = "scan"
PHRASINGS: list[tuple[str, dict[str, Any]]] = [
    # subreddits, typed and spoken
    ("/r/smallbusiness invoicing", {"intent": S, "subreddits": ["smallbusiness"], "keywords": ["invoicing"]}),
    ("scan r/smallbusiness+freelance+SaaS", {"intent": S, "subreddits": ["smallbusiness", "freelance", "saas"]}),
    (
        "look at r/smallbusiness, freelance and SaaS about pricing",
        {"intent": S, "subreddits": ["smallbusiness", "freelance", "saas"], "keywords": ["pricing"]},
    ),
    ("r slash startups about hiring", {"intent": S, "subreddits": ["startups"], "keywords": ["hiring"]}),
    (
        "What are people struggling with in are slash small business about taxes?",
        {"intent": S, "subreddits": ["smallbusiness"], "keywords": ["taxes"]},
    ),
    (
        "what are people struggling with in r slash smallbusiness and r slash freelance about invoicing "
        "over the last two weeks? Budget $2.",
        {
            "intent": S,
            "subreddits": ["smallbusiness", "freelance"],
            "keywords": ["invoicing"],
            "days": 14,
            "maxCost": 2,
        },
    ),
    (
        "r-slash-web-design for accessibility",
        {"intent": S, "subreddits": ["web_design"], "keywords": ["accessibility"]},
    ),
    ("our slash entrepreneur ride along", {"intent": S, "subreddits": ["entrepreneurridealong"]}),
    (
        "what's hot in the smallbusiness and freelance subreddits",
        {"intent": S, "subreddits": ["smallbusiness", "freelance"]},
    ),
    ("scan r/SaaS and r/saas", {"intent": S, "subreddits": ["saas"]}),
    # time windows
    ("r/sysadmin past fortnight", {"intent": S, "subreddits": ["sysadmin"], "days": 14}),
    ("r/sysadmin last quarter", {"intent": S, "subreddits": ["sysadmin"], "days": 90}),
    ("r/sysadmin this week", {"intent": S, "subreddits": ["sysadmin"], "days": 7}),
    # "this year" is since 1 January (NOW is 29 November)
    ("r/sysadmin this year", {"intent": S, "subreddits": ["sysadmin"], "days": 332.5}),
    ("r/sysadmin in the last couple of days", {"intent": S, "subreddits": ["sysadmin"], "days": 2}),
    ("r/sysadmin for the past few weeks", {"intent": S, "subreddits": ["sysadmin"], "days": 21}),
    ("r/sysadmin since Monday", {"intent": S, "subreddits": ["sysadmin"], "days": 6.5}),
    ("r/sysadmin since last Friday", {"intent": S, "subreddits": ["sysadmin"], "days": 2.5}),
    ("r/sysadmin since 2026-11-20", {"intent": S, "subreddits": ["sysadmin"], "days": 9.5}),
    ("r/sysadmin since the 15th of November", {"intent": S, "subreddits": ["sysadmin"], "days": 14.5}),
    ("r/sysadmin since October", {"intent": S, "subreddits": ["sysadmin"], "days": 59.5}),
    ("r/sysadmin last 24 hours", {"intent": S, "subreddits": ["sysadmin"], "days": 1}),
    ("r/sysadmin 3 days ago", {"intent": S, "subreddits": ["sysadmin"], "days": 3}),
    (
        "/scout r/sysadmin backups 30d $1",
        {"intent": S, "subreddits": ["sysadmin"], "keywords": ["backups"], "days": 30, "maxCost": 1},
    ),
    ("r/sysadmin over the past year", {"intent": S, "subreddits": ["sysadmin"], "days": 365}),
    ("r/sysadmin last month", {"intent": S, "subreddits": ["sysadmin"], "days": 30}),
    # keywords
    (
        'r/SaaS "free trial" "onboarding emails"',
        {"intent": S, "subreddits": ["saas"], "keywords": ["free trial", "onboarding emails"]},
    ),
    ("r/SaaS mentioning stripe", {"intent": S, "subreddits": ["saas"], "keywords": ["stripe"]}),
    (
        "r/SaaS keywords: churn, pricing and billing",
        {"intent": S, "subreddits": ["saas"], "keywords": ["churn", "pricing", "billing"]},
    ),
    (
        "problems with bookkeeping in r/smallbusiness",
        {"intent": S, "subreddits": ["smallbusiness"], "keywords": ["bookkeeping"]},
    ),
    (
        "r/freelance about late payments and scope creep",
        {"intent": S, "subreddits": ["freelance"], "keywords": ["late payments", "scope creep"]},
    ),
    (
        "what do people say in r/Accounting regarding the new tax rules",
        {"intent": S, "subreddits": ["accounting"], "keywords": ["new tax rules"]},
    ),
    ("find opportunities in r/startups", {"intent": S, "subreddits": ["startups"]}),
    # budgets
    ("r/SEO budget 3", {"intent": S, "subreddits": ["seo"], "maxCost": 3}),
    ("r/SEO, spend up to 4 dollars", {"intent": S, "subreddits": ["seo"], "maxCost": 4}),
    ("r/SEO at most $0.75", {"intent": S, "subreddits": ["seo"], "maxCost": 0.75}),
    ("r/SEO, max five bucks", {"intent": S, "subreddits": ["seo"], "maxCost": 5}),
    ("r/SEO, one dollar fifty cents", {"intent": S, "subreddits": ["seo"], "maxCost": 1.5}),
    ("r/SEO twenty five cents", {"intent": S, "subreddits": ["seo"], "maxCost": 0.25}),
    ("r/SEO limit of a dollar", {"intent": S, "subreddits": ["seo"], "maxCost": 1}),
    ("r/SEO for 2 weeks with a 3 dollar cap", {"intent": S, "subreddits": ["seo"], "days": 14, "maxCost": 3}),
    # watches: thresholds in digits or words, cadence
    (
        "monitor r/SaaS for pricing, ping me at 80 or more",
        {"intent": "watch", "subreddits": ["saas"], "keywords": ["pricing"], "threshold": 80},
    ),
    (
        "keep an eye on r/freelance and notify me when something scores over eighty-five",
        {"intent": "watch", "subreddits": ["freelance"], "threshold": 85},
    ),
    (
        "watch r/sysadmin weekly for backups, alert me above sixty five",
        {"intent": "watch", "subreddits": ["sysadmin"], "keywords": ["backups"], "threshold": 65},
    ),
    (
        "let me know if r/Entrepreneur has anything above 90",
        {"intent": "watch", "subreddits": ["entrepreneur"], "threshold": 90},
    ),
    ("watch our slash marketing", {"intent": "watch", "subreddits": ["marketing"]}),
    (
        "watch for churn and DM me above 70",
        {"intent": "watch", "subreddits": [], "keywords": ["churn"], "threshold": 70, "missing": ["subreddits"]},
    ),
    # other intents
    ("what's the status?", {"intent": "status"}),
    ("is it done yet", {"intent": "status"}),
    ("any results?", {"intent": "status"}),
    ("how's it going", {"intent": "status"}),
    ("abort", {"intent": "cancel"}),
    ("never mind", {"intent": "cancel"}),
    ("please cancel the analysis", {"intent": "cancel"}),
    ("what did we spend so far", {"intent": "spend"}),
    ("how much has this cost us", {"intent": "spend"}),
    ("spending", {"intent": "spend"}),
    ("how does this work?", {"intent": "help"}),
    ("?", {"intent": "help"}),
    # things that look like other intents but are scans
    ("help me find opportunities in r/smallbusiness", {"intent": S, "subreddits": ["smallbusiness"]}),
    (
        "how are people in r/SaaS handling status pages",
        {"intent": S, "subreddits": ["saas"], "keywords": ["status pages"]},
    ),
    (
        "how are freelancers in r/freelance dealing with invoicing",
        {"intent": S, "subreddits": ["freelance"], "keywords": ["invoicing"]},
    ),
    (
        "r/smallbusiness and r/Accounting: payroll, taxes. 2 weeks. $1",
        {
            "intent": S,
            "subreddits": ["smallbusiness", "accounting"],
            "keywords": ["payroll", "taxes"],
            "days": 14,
            "maxCost": 1,
        },
    ),
    (
        "Can you check r/Entrepreneur for people frustrated with hiring contractors over the past 3 weeks? Keep it under $1.",
        {"intent": S, "subreddits": ["entrepreneur"], "keywords": ["hiring contractors"], "days": 21, "maxCost": 1},
    ),
    (
        "analyze are slash productivity mentioning note taking apps since last Tuesday, cap at two dollars fifty",
        {"intent": S, "subreddits": ["productivity"], "keywords": ["note taking apps"], "days": 5.5, "maxCost": 2.5},
    ),
    ("what do freelancers hate", {"intent": S, "missing": ["subreddits"]}),
]


@pytest.mark.parametrize(("text", "expect"), PHRASINGS, ids=[p[0][:50] for p in PHRASINGS])
def test_phrasing(text: str, expect: dict[str, Any]) -> None:
    check(text, NOW, {"subreddits": [], **expect})


MORE: list[tuple[str, dict[str, Any]]] = [
    # how Whisper writes a hurried "about"
    ("r slash freelance I'm out invoicing", {"intent": S, "subreddits": ["freelance"], "keywords": ["invoicing"]}),
    ("r/SaaS, r/startups, 2w, $1.50", {"intent": S, "subreddits": ["saas", "startups"], "days": 14, "maxCost": 1.5}),
    (
        "r/smallbusiness last week about payroll",
        {"intent": S, "subreddits": ["smallbusiness"], "keywords": ["payroll"], "days": 7},
    ),
    ("r/smallbusiness since yesterday", {"intent": S, "subreddits": ["smallbusiness"], "days": 1}),
]


@pytest.mark.parametrize(("text", "expect"), MORE, ids=[p[0][:50] for p in MORE])
def test_more_phrasings(text: str, expect: dict[str, Any]) -> None:
    check(text, NOW, {"subreddits": [], **expect})


@pytest.mark.parametrize(
    ("text", "cadence"),
    [
        ("alert me daily if r/freelance talks about late payments", "daily"),
        ("watch r/SaaS every 6 hours", "every 6 hours"),
        ("monitor r/SaaS every Monday", "weekly on Monday"),
        ("keep an eye on r/SaaS twice a day", "every 12 hours"),
        ("watch r/SaaS once a week", "weekly"),
        ("watch r/SaaS hourly", "hourly"),
        ("watch r/SaaS for churn", None),
    ],
)
def test_watch_cadence(text: str, cadence: str | None) -> None:
    parsed = parse(text, NOW)
    assert parsed.intent == Intent.WATCH
    assert (parsed.cadence.label if parsed.cadence else None) == cadence
    assert parsed.subreddits == ["SaaS"] or parsed.subreddits == ["freelance"]


def test_today_is_since_midnight() -> None:
    parsed = parse("r/SaaS today", NOW)
    assert parsed.window == (datetime(2026, 11, 29, tzinfo=UTC), NOW)


def test_odd_input_asks_for_subreddits_instead_of_failing() -> None:
    for text in ["", "   ", "r/", "/r/ r slash", "$", "🙂", "keywords:", '"', "since", "last", "watch above"]:
        assert parse(text, NOW).missing == ["subreddits"], text
