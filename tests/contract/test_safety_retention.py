"""Retention: the job deletes what is past its time by the clock it is given, and never an
active alert, an active check-in or a notification still to send (safety/retention.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select

from disco.platform.clock import FrozenClock
from disco.safety import models as m
from disco.safety.notify import models as notify
from disco.safety.retention import Retention
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.safety import with_contacts

HERE = {"latitude": 51.507351, "longitude": -0.127758}
THERE = {"latitude": 51.509865, "longitude": -0.118092}


async def count(running: Running, table: Table) -> int:
    async with running.system.apps["safety"].state.db.unit_of_work("test.count") as uow:
        return int((await uow.session.execute(select(func.count()).select_from(table))).scalar())


async def test_retention_deletes_what_is_past_its_time_and_keeps_what_is_live(
    backend: str, tmp_path: Path, mailbox: Mailbox
) -> None:
    async with (
        backend_settings(backend, tmp_path, smtp_url=mailbox.url) as settings,
        serve(settings, ["auth", "users", "safety", "gateway"]) as running,
    ):
        ada, (contact,) = await with_contacts(running.url, mailbox, "Ada", count=1)
        await ada.put("/v1/safety/pin", {"pin": "2468"})
        key = {"Idempotency-Key": "sos-1"}
        ended = await ada.post("/v1/safety/alerts", {"location": HERE}, headers=key)
        await ada.post(f"/v1/safety/alerts/{ended['id']}/location", THERE)
        await ada.post(f"/v1/safety/alerts/{ended['id']}/cancel", {"pin": "2468"})
        live = await ada.post("/v1/safety/alerts", {"location": HERE})
        soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        checkin = await ada.post("/v1/safety/checkins", {"dueAt": soon, "place": "Café"})
        await ada.post(f"/v1/safety/checkins/{checkin['id']}/confirm")
        await ada.post("/v1/safety/checkins", {"dueAt": soon, "place": "Bar"})  # stays active
        await mailbox.wait_for(contact.email, 4)  # raised, ended, raised again, and the link
        await ada.close()
        settled = await count(running, notify.notifications)
        assert settled >= 3 and await count(running, m.alert_points) == 3

        def run_at(days: int) -> Retention:
            clock = FrozenClock(datetime.now(UTC) + timedelta(days=days))
            return Retention(running.system.apps["safety"].state.db, clock, settings)

        assert (await run_at(0).run()).request_keys == 0
        nothing = await run_at(29).run()
        assert (nothing.trail_points, nothing.alerts, nothing.checkins) == (0, 0, 0)
        assert nothing.request_keys == 1 and await count(running, m.request_keys) == 0

        month = await run_at(31).run()
        assert month.trail_points == 2  # the ended alert's trail; the live alert keeps its own
        assert await count(running, m.alert_points) == 1
        assert (month.alerts, month.checkins, month.notifications) == (0, 0, 0)

        quarter = await run_at(91).run()
        assert quarter.checkins == 1 and await count(running, m.checkins) == 1  # the active one
        left = await rows(running, notify.notifications)
        assert quarter.notifications == settled - len(left) > 0
        assert all(row.status not in ("sent", "dead") for row in left)  # still to send: kept
        # No audit event outlives its notification.
        audited = {row.notification_id for row in await rows(running, notify.notification_events)}
        assert audited <= {row.id for row in left}

        year = await run_at(366).run()
        assert year.alerts == 1
        (kept,) = await rows(running, m.alerts)
        assert kept.id == live["id"] and kept.status == "ACTIVE"


async def rows(running: Running, table: Table) -> list[Any]:
    async with running.system.apps["safety"].state.db.unit_of_work("test.rows") as uow:
        return list((await uow.session.execute(select(table))).all())
