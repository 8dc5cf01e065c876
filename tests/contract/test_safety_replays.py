"""An alert or check-in sent again with its Idempotency-Key is the first one again: an SOS
retried over a flaky network (or tapped twice) tells the contacts once (safety/replays.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

from disco.client import DiscoClient
from tests.support.backends import Running
from tests.support.mailbox import Mailbox
from tests.support.safety import with_contacts
from tests.support.users import person

HERE = {"latitude": 51.507351, "longitude": -0.127758}
THERE = {"latitude": 51.509865, "longitude": -0.118092}


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_an_alert_sent_again_with_its_key_is_the_same_alert_told_once(
    disco: Running, mailbox: Mailbox
) -> None:
    ada, (contact,) = await with_contacts(disco.url, mailbox, "Ada", count=1)
    key = keyed(str(uuid4()))
    body = {"type": "EMERGENCY", "location": HERE, "message": "followed"}
    # Four at once, as an app that retried while the first was still on its way.
    answers = await asyncio.gather(
        *(ada.post("/v1/safety/alerts", body, headers=key) for _ in range(4))
    )
    # Later, with a fresher position: still the same alert, never refused.
    answers.append(await ada.post("/v1/safety/alerts", {**body, "location": THERE}, headers=key))
    first = answers[0]
    assert {a["id"] for a in answers} == {first["id"]}
    assert {a["status"] for a in answers} == {"ACTIVE"}
    # The live link is in the answer that raised it only: it is stored hashed, and a replay
    # tells whoever holds the phone no more than a read of the alert does.
    assert len([a for a in answers if a["liveUrl"]]) == 1
    assert [a["id"] for a in (await ada.get("/v1/safety/alerts"))["alerts"]] == [first["id"]]

    # The contact is told once: the confirmation link, the alert, then the alert's end.
    await ada.put("/v1/safety/pin", {"pin": "2468"})
    await ada.post(f"/v1/safety/alerts/{first['id']}/cancel", {"pin": "2468"})
    mails = await mailbox.wait_for(contact.email, 3)
    await asyncio.sleep(1)  # a second alert's mail, had there been one, was due as soon
    assert len(mailbox.to(contact.email)) == 3, [m.subject for m in mailbox.to(contact.email)]
    assert "EMERGENCY" in mails[1].subject and "EMERGENCY" not in mails[2].subject

    # After it ended, the same key still names it (a very late retry raises nothing new).
    again = await ada.post("/v1/safety/alerts", body, headers=key)
    assert (again["id"], again["status"], again["liveUrl"]) == (first["id"], "CANCELLED", None)
    # A new key is a new alert.
    fresh = await ada.post("/v1/safety/alerts", body, headers=keyed(str(uuid4())))
    assert fresh["id"] != first["id"]
    await ada.close()


async def test_a_key_means_one_request_and_one_person(disco: Running, user: DiscoClient) -> None:
    key = keyed("sos-1")
    first = await user.post("/v1/safety/alerts", {"location": HERE}, headers=key)
    other = await user.request(
        "POST", "/v1/safety/alerts", json={"location": HERE, "message": "else"}, headers=key
    )
    assert other.status_code == 422, other.text
    assert other.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "Idempotency-Key" in other.json()["error"]["message"]
    for bad in [b"two words", b"x" * 129, b"", "é".encode(), b"a/b"]:
        response = await user.request(
            "POST", "/v1/safety/alerts", json={"location": HERE}, headers={"Idempotency-Key": bad}
        )
        assert response.status_code == 422, (bad, response.text)
    assert [a["id"] for a in (await user.get("/v1/safety/alerts"))["alerts"]] == [first["id"]]

    # Someone else's "sos-1" is theirs alone.
    async with await person(disco.url, "Bea") as bea:
        theirs = await bea.post("/v1/safety/alerts", {"location": HERE}, headers=key)
        assert theirs["id"] != first["id"]
        response = await bea.request("GET", f"/v1/safety/alerts/{first['id']}")
        assert response.status_code == 404


async def test_a_check_in_sent_again_with_its_key_is_the_same_check_in(user: DiscoClient) -> None:
    due = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    body = {"dueAt": due, "place": "Harbour café", "location": HERE}
    key = keyed(str(uuid4()))
    answers = await asyncio.gather(
        *(user.post("/v1/safety/checkins", body, headers=key) for _ in range(3))
    )
    assert len({a["id"] for a in answers}) == 1
    assert answers[0]["place"] == "Harbour café" and answers[0]["status"] == "ACTIVE"
    # The same due time in another offset, and a fresher position: the same request.
    same_time = datetime.fromisoformat(due).astimezone(timezone(timedelta(hours=2))).isoformat()
    retried = {**body, "dueAt": same_time, "location": THERE}
    assert (await user.post("/v1/safety/checkins", retried, headers=key))["id"] == answers[0]["id"]
    moved = await user.request(
        "POST", "/v1/safety/checkins", json={**body, "place": "Station"}, headers=key
    )
    assert moved.status_code == 422, moved.text
    # A check-in is its own kind: the same key raises an alert, not a replay of the check-in.
    alert = await user.post("/v1/safety/alerts", {"location": HERE}, headers=key)
    assert alert["id"] != answers[0]["id"]
    checkins = (await user.get("/v1/safety/checkins"))["checkins"]
    assert [c["id"] for c in checkins] == [answers[0]["id"]]
