"""Creating, listing and changing watches as the chat will: validation, ownership, defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.errors import InvalidRequestError, NotFoundError
from oppscout.core.watches import WatchSpec
from tests.core.watches.conftest import OWNER, Watches

COLLEAGUE = ThreadRef("console", "ws1", "C1", "T9", "U2")
OTHER_WORKSPACE = ThreadRef("console", "ws2", "C1", "T1", "U1")


async def test_create_confirms_with_defaults_and_lists_the_watch(watches: Watches) -> None:
    view = await watches.service.create(OWNER, WatchSpec(subreddits=["r/SaaS", "saas"], keywords=["churn"]))
    assert view.subreddits == ["SaaS"]
    assert view.threshold == 70 and view.cadence_hours == 24 and view.monthly_budget == Decimal("5")
    assert "Watching r/SaaS · churn daily" in view.confirmation()
    listing = await watches.service.describe_list(COLLEAGUE)
    assert f"#{view.id} r/SaaS · churn: daily, alert at score 70+ by DM, $0.00 of $5.00 used this month" in listing
    assert "no watches" in await watches.service.describe_list(OTHER_WORKSPACE)


async def test_bad_watches_are_refused_with_what_to_change(watches: Watches) -> None:
    with pytest.raises(InvalidRequestError, match="Which subreddits"):
        await watches.service.create(OWNER, WatchSpec(subreddits=[]))
    with pytest.raises(InvalidRequestError, match="not a valid subreddit"):
        await watches.service.create(OWNER, WatchSpec(subreddits=["r/no spaces"]))
    with pytest.raises(InvalidRequestError, match="0 to 100"):
        await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], threshold=120))
    with pytest.raises(InvalidRequestError, match="at most 10 keywords"):
        await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], keywords=[f"k{i}" for i in range(11)]))
    assert "no watches" in await watches.service.describe_list(OWNER)  # nothing half-made was stored


async def test_only_the_owner_changes_a_watch_and_other_workspaces_cannot_see_it(watches: Watches) -> None:
    view = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"]))
    with pytest.raises(InvalidRequestError, match="belongs to someone else"):
        await watches.service.pause(COLLEAGUE, view.id)
    with pytest.raises(NotFoundError):
        await watches.service.delete(OTHER_WORKSPACE, view.id)
    assert "Deleted watch" in await watches.service.delete(OWNER, view.id)
    assert "no watches" in await watches.service.describe_list(OWNER)


async def test_email_watch_asks_for_an_address_until_it_has_one(watches: Watches) -> None:
    view = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], email=True))
    assert "my email is" in view.confirmation()
    with pytest.raises(InvalidRequestError, match="does not look like an email"):
        await watches.service.set_email(OWNER, "nope")
    await watches.service.set_email(OWNER, "ana@example.com")
    again = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], email=True))
    assert "my email is" not in again.confirmation()


async def test_the_list_says_where_alerts_go_and_that_email_waits_for_an_address(watches: Watches) -> None:
    both = await watches.service.create(
        OWNER, WatchSpec(subreddits=["SaaS"], push=True, email=True, cost_threshold=Decimal("2.5"))
    )
    # No address is known: the emails reach no one yet, so the list says DMs carry the alerts until one is given.
    listing = await watches.service.describe_list(OWNER)
    assert f"#{both.id} r/SaaS: daily, alert at score 70+ by DM and email (once you tell me your address)" in listing
    assert "cost alert at $2.50 a month" in listing
    await watches.service.set_email(OWNER, "ana@example.com")
    listing = await watches.service.describe_list(OWNER)
    assert "by DM and email to ana@example.com, $0.00 of $5.00 used this month; cost alert at $2.50 a month" in listing
