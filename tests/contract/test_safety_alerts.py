"""Emergency alerts: every contact told at once, a live link, PIN and duress PIN, who sees what."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from disco.client import ApiError, DiscoClient
from disco.platform.clock import FrozenClock
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.providers import Provider
from tests.support.safety import moderator, with_contacts
from tests.support.users import person, rows_naming

HERE = {"latitude": 51.507351, "longitude": -0.127758}
THERE = {"latitude": 51.509865, "longitude": -0.118092}


def live_token(body: str) -> str:
    """The token of the web app's live page the mail links to (``{base}/#/live/{token}``)."""
    match = re.search(r"/#/live/([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


async def live(url: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url) as anonymous:
        return await anonymous.get(f"/v1/safety/live/{token}")


async def test_an_alert_reaches_every_contact_with_a_live_link_to_the_trail(
    disco: Running, mailbox: Mailbox
) -> None:
    ada, contacts = await with_contacts(disco.url, mailbox, "Ada")
    alert = await ada.post(
        "/v1/safety/alerts", {"type": "EMERGENCY", "location": HERE, "message": "followed"}
    )
    assert alert["status"] == "ACTIVE" and alert["type"] == "EMERGENCY"
    assert alert["location"]["latitude"] == HERE["latitude"] and alert["liveUrl"]

    tokens = set()
    for contact in contacts:
        mail = (await mailbox.wait_for(contact.email, 2))[1]  # after the confirmation link
        assert "Ada" in mail.subject and "followed" in mail.body
        tokens.add(live_token(mail.body))
    assert tokens == {alert["liveUrl"].rsplit("/", 1)[1]}
    assert alert["liveUrl"] == f"{disco.system.settings.base_url}/#/live/{tokens.copy().pop()}"

    await ada.post(f"/v1/safety/alerts/{alert['id']}/location", THERE)
    view = (await live(disco.url, tokens.pop())).json()
    assert view["status"] == "ACTIVE" and view["message"] == "followed"
    assert view["name"] == "Ada"  # who, as the mail names them
    assert [(p["latitude"], p["longitude"]) for p in view["trail"]] == [
        (HERE["latitude"], HERE["longitude"]),
        (THERE["latitude"], THERE["longitude"]),
    ]
    assert view["location"]["latitude"] == THERE["latitude"]
    mine = await ada.get(f"/v1/safety/alerts/{alert['id']}")
    assert mine["location"]["latitude"] == THERE["latitude"] and mine["liveUrl"] is None
    assert [a["id"] for a in (await ada.get("/v1/safety/alerts"))["alerts"]] == [alert["id"]]
    # The trail, the message and the contacts are sealed in every table.
    assert await rows_naming(disco.system.settings, ["51.507351", "51.509865", "followed"]) == []
    await ada.close()


async def test_nobody_else_sees_an_alert_but_moderators_see_it_live(
    disco: Running, mailbox: Mailbox
) -> None:
    ada, _ = await with_contacts(disco.url, mailbox, "Ada", count=1)
    alert = await ada.post("/v1/safety/alerts", {"location": HERE})
    stranger = await person(disco.url, "Eve")
    for method, path, body in [
        ("GET", f"/v1/safety/alerts/{alert['id']}", None),
        ("POST", f"/v1/safety/alerts/{alert['id']}/location", THERE),
        ("POST", f"/v1/safety/alerts/{alert['id']}/resolve", None),
        ("POST", f"/v1/safety/alerts/{alert['id']}/cancel", {"pin": "1234"}),
    ]:
        response = await stranger.request(method, path, json=body)
        assert response.status_code == 404, (path, response.text)
    assert (await stranger.get("/v1/safety/alerts"))["alerts"] == []
    refused = await stranger.request("GET", "/v1/safety/alerts", params={"scope": "moderation"})
    assert refused.status_code == 403
    assert (await live(disco.url, "not-a-real-token")).status_code == 404

    mod = await moderator(disco.system, disco.url)
    feed = (await mod.get("/v1/safety/alerts", params={"scope": "moderation"}))["alerts"]
    (seen,) = [a for a in feed if a["id"] == alert["id"]]
    assert seen["userId"] == ada.user["id"] and seen["status"] == "ACTIVE"  # type: ignore[index]
    assert (await mod.get(f"/v1/safety/alerts/{alert['id']}"))["location"]["latitude"] == HERE[
        "latitude"
    ]
    # A moderator resolves without a PIN; it leaves the feed.
    resolved = await mod.post(f"/v1/safety/alerts/{alert['id']}/resolve")
    assert resolved["status"] == "RESOLVED"
    feed = (await mod.get("/v1/safety/alerts", params={"scope": "moderation"}))["alerts"]
    assert alert["id"] not in [a["id"] for a in feed]
    for client in (ada, stranger, mod):
        await client.close()


async def test_cancelling_needs_the_pin_and_tells_the_contacts(
    disco: Running, mailbox: Mailbox
) -> None:
    ada, (contact,) = await with_contacts(disco.url, mailbox, "Ada", count=1)
    alert = await ada.post("/v1/safety/alerts", {"location": HERE})
    cancel = f"/v1/safety/alerts/{alert['id']}/cancel"
    no_pin_yet = await ada.request("POST", cancel, json={"pin": "2468"})
    assert no_pin_yet.status_code == 409
    assert await ada.get("/v1/safety/pin") == {"set": False}
    await ada.put("/v1/safety/pin", {"pin": "1111"})
    assert await ada.get("/v1/safety/pin") == {"set": True}
    # Changing it takes the current one: whoever holds the phone cannot set a PIN they know.
    for body, status in [({"pin": "2468"}, 422), ({"pin": "2468", "currentPin": "2222"}, 403)]:
        response = await ada.request("PUT", "/v1/safety/pin", json=body)
        assert response.status_code == status, (body, response.text)
    await ada.put("/v1/safety/pin", {"pin": "2468", "duressPin": "1357", "currentPin": "1111"})
    for body, status in [({}, 422), ({"pin": "12"}, 422), ({"pin": "1111"}, 403)]:
        response = await ada.request("POST", cancel, json=body)
        assert response.status_code == status, (body, response.text)
    assert (await ada.get(f"/v1/safety/alerts/{alert['id']}"))["status"] == "ACTIVE"

    cancelled = await ada.post(cancel, {"pin": "2468"})
    assert cancelled["status"] == "CANCELLED" and cancelled["endedAt"]
    (_, raised, ended) = await mailbox.wait_for(contact.email, 3)
    assert "is safe" in ended.subject
    view = (await live(disco.url, live_token(raised.body))).json()
    assert view["status"] == "CANCELLED" and view["duress"] is False
    again = await ada.request("POST", cancel, json={"pin": "2468"})
    assert again.status_code == 409
    with pytest.raises(ApiError) as err:
        await ada.post(f"/v1/safety/alerts/{alert['id']}/location", THERE)
    assert err.value.status == 409
    await ada.close()


async def test_the_duress_pin_looks_like_a_cancel_but_escalates(
    disco: Running, mailbox: Mailbox
) -> None:
    ada, (contact,) = await with_contacts(disco.url, mailbox, "Ada", count=1)
    await ada.put("/v1/safety/pin", {"pin": "2468", "duressPin": "1357"})
    alert = await ada.post("/v1/safety/alerts", {"location": HERE})
    genuine_shape = {k for k, v in alert.items() if k != "liveUrl"}

    answer = await ada.post(f"/v1/safety/alerts/{alert['id']}/cancel", {"pin": "1357"})
    assert answer["status"] == "CANCELLED" and answer["endedAt"]
    # Nothing in the answer gives it away: the same fields, set as a genuine cancel sets them.
    assert set(answer) == genuine_shape | {"liveUrl"} and answer["duress"] is None
    mine = await ada.get(f"/v1/safety/alerts/{alert['id']}")
    assert mine["status"] == "CANCELLED" and mine["duress"] is None
    # The phone's app goes on sending its position; it is refused as for any ended alert...
    refused = await ada.request("POST", f"/v1/safety/alerts/{alert['id']}/location", json=THERE)
    assert refused.status_code == 409

    (_, raised, duress) = await mailbox.wait_for(contact.email, 3)
    assert "forced" in duress.subject and "duress" in duress.body
    # ...but kept: the contacts still see it, and the alert, as active.
    view = (await live(disco.url, live_token(raised.body))).json()
    assert view["status"] == "ACTIVE" and view["duress"] is True
    assert view["location"]["latitude"] == THERE["latitude"]
    mod = await moderator(disco.system, disco.url)
    feed = (await mod.get("/v1/safety/alerts", params={"scope": "moderation"}))["alerts"]
    (seen,) = [a for a in feed if a["id"] == alert["id"]]
    assert seen["status"] == "ACTIVE" and seen["duress"] is True
    await ada.close()
    await mod.close()


async def test_bad_alerts_are_refused_and_change_nothing(user: DiscoClient) -> None:
    for body in [
        {"location": {"latitude": 91, "longitude": 0}},
        {"location": {"latitude": 0}},
        {"type": "PARTY", "location": HERE},
        {"location": HERE, "message": "x" * 501},
        {"location": HERE, "extra": 1},
        {},
    ]:
        response = await user.request("POST", "/v1/safety/alerts", json=body)
        assert response.status_code == 422, (body, response.text)
    for body in [{"pin": "12ab"}, {"pin": "1234", "duressPin": "1234"}, {"pin": "1" * 13}]:
        response = await user.request("PUT", "/v1/safety/pin", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await user.get("/v1/safety/alerts"))["alerts"] == []


async def test_sms_for_contacts_with_a_phone_and_an_expiring_live_link(
    backend: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    sms, push = Provider(), Provider()
    sms.start()
    push.start()
    clock = FrozenClock(datetime.now(UTC))
    try:
        async with backend_settings(
            backend,
            tmp_path,
            smtp_url=mailbox.url,
            sms_url=sms.url,
            sms_key=sms.key,
            push_url=push.url,
            push_key=push.key,
            live_link_ttl_seconds=3600,
        ) as settings:
            async with serve(settings, clock=clock) as running:
                ada, contacts = await with_contacts(running.url, mailbox, "Ada", count=3)
                await ada.put("/v1/safety/devices/phone-1", {"pushToken": "push-token-ada-1"})
                await ada.put("/v1/safety/devices/tablet", {"pushToken": "push-token-ada-2"})
                await ada.delete("/v1/safety/devices/tablet")
                alert = await ada.post("/v1/safety/alerts", {"location": HERE})
                (pushed,) = await push.wait_for(1)
                assert pushed.body["token"] == "push-token-ada-1"
                assert pushed.body["data"]["alertId"] == alert["id"]
                texts = await sms.wait_for(3)
                assert {t.body["to"] for t in texts} == {c.phone for c in contacts}
                assert all(alert["liveUrl"] in t.body["text"] for t in texts)

                async def mailed_each() -> bool:
                    return all(len(mailbox.to(c.email)) == 2 for c in contacts)

                await eventually(mailed_each, what="one alert mail per contact")
                await asyncio.sleep(0.5)  # the dispatcher records its sends before time jumps
                assert len(push.accepted()) == 1 and len(sms.accepted()) == 3

                token = alert["liveUrl"].rsplit("/", 1)[1]
                assert (await live(running.url, token)).status_code == 200
                clock.advance(3601)
                assert (await live(running.url, token)).status_code == 404
                await ada.close()
    finally:
        sms.stop()
        push.stop()
