"""Moderators' suspensions and bans reach sign-in: the auth service enforces
``safety.moderation.action_taken`` (the safety service decides, auth keeps people out)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from disco.auth import models
from disco.client import ApiError, DiscoClient
from disco.contracts.events.safety import ModerationActionTaken
from disco.platform.bus import Envelope
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.poll import eventually


async def moderate(disco: Running, user_id: str, action: str, until: datetime | None) -> str:
    """Publish a moderator's action; returns the event's id."""
    event = ModerationActionTaken(user_id=user_id, action=action, until=until)  # type: ignore[arg-type]
    event_id = str(uuid.uuid4())
    await disco.system.bus.publish(
        Envelope(
            event_id,
            event.event_type,
            event.event_version,
            datetime.now(UTC),
            event.model_dump(mode="json"),
        )
    )
    return event_id


async def handled(disco: Running, event_id: str) -> bool:
    """Whether auth has consumed the event (its inbox row is written with the change)."""
    async with disco.system.apps["auth"].state.db.unit_of_work("test.inbox") as uow:
        query = select(models.inbox.c.event_id).where(models.inbox.c.event_id == event_id)
        return (await uow.session.execute(query)).first() is not None


async def can_sign_in(disco: Running, email: str) -> bool:
    async with DiscoClient(disco.url) as client:
        try:
            await client.login(email, PASSWORD)
        except ApiError as error:
            assert error.status == 401
            return False
        return True


async def test_a_suspension_signs_the_user_out_until_it_ends(disco: Running) -> None:
    email = unique_email("suspended")
    async with DiscoClient(disco.url) as client:
        pair = await client.signup(email, PASSWORD, "Sus", "Pended")
        until = datetime.now(UTC) + timedelta(seconds=4)
        await moderate(disco, pair["user"]["id"], "suspend", until)

        async def signed_out() -> bool:
            return (await client.request("GET", "/v1/auth/me")).status_code == 401

        await eventually(signed_out, what="the live token refused")
    assert not await can_sign_in(disco, email)
    # Once, after it ends: polling sign-in would trip the failed-attempts lock instead.
    await asyncio.sleep((until - datetime.now(UTC)).total_seconds() + 0.2)
    assert await can_sign_in(disco, email)


async def test_a_ban_keeps_the_user_out_and_a_warning_does_not(disco: Running) -> None:
    banned, warned = unique_email("banned"), unique_email("warned")
    async with DiscoClient(disco.url) as b, DiscoClient(disco.url) as w:
        banned_id = (await b.signup(banned, PASSWORD, "Ban", "Ned"))["user"]["id"]
        warned_id = (await w.signup(warned, PASSWORD, "War", "Ned"))["user"]["id"]
        await moderate(disco, warned_id, "warn", None)
        await moderate(disco, banned_id, "ban", None)

        async def banned_out() -> bool:
            return (await b.request("GET", "/v1/auth/me")).status_code == 401

        await eventually(banned_out, what="the banned user's token refused")
        # Both events were published before the ban took effect; the warning changed nothing.
        assert (await w.request("GET", "/v1/auth/me")).status_code == 200
    assert not await can_sign_in(disco, banned)
    assert await can_sign_in(disco, warned)


@pytest.mark.parametrize("action", ["suspend", "ban"])
async def test_moderating_a_deleted_user_is_a_no_op(disco: Running, action: str) -> None:
    await moderate(disco, "no-such-user", action, datetime.now(UTC) + timedelta(hours=1))
    # The handler must not fail (a failing handler would retry and dead-letter the event).
    async with DiscoClient(disco.url) as client:
        await client.signup(unique_email("after"), PASSWORD, "Af", "Ter")


async def test_a_suspension_applied_again_after_it_ended_signs_no_one_out(disco: Running) -> None:
    """A moderation action delivered once more (as across the deploy that renamed auth's inbox
    rows) changes nothing: the account already carries it."""
    email = unique_email("again")
    ended = datetime.now(UTC) - timedelta(minutes=1)
    async with DiscoClient(disco.url) as before:
        user_id = (await before.signup(email, PASSWORD, "Ag", "Ain"))["user"]["id"]
        first = await moderate(disco, user_id, "suspend", ended)

        async def signed_out() -> bool:
            return (await before.request("GET", "/v1/auth/me")).status_code == 401

        await eventually(signed_out, what="the suspension applied")
        await eventually(lambda: handled(disco, first), what="the suspension consumed")
    async with DiscoClient(disco.url) as after:
        await after.login(email, PASSWORD)
        again = await moderate(disco, user_id, "suspend", ended)
        await eventually(lambda: handled(disco, again), what="the copy consumed")
        assert (await after.request("GET", "/v1/auth/me")).status_code == 200
