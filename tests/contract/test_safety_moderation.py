"""Reports, the moderators' queue and their actions; ratings after a meetup and trust scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from disco.client import ApiError
from tests.support.backends import Running
from tests.support.poll import eventually
from tests.support.safety import matched, moderator, uid
from tests.support.users import person, rows_naming

SECRET_LINE = "meet me behind the warehouse, come alone 7731"


async def test_a_report_reaches_the_queue_and_the_reporter_sees_its_status(
    disco: Running,
) -> None:
    eve, bob = await person(disco.url, "Eve"), await person(disco.url, "Bob")
    match_id = await matched(disco.system, eve, bob)
    report = await eve.post(
        "/v1/safety/reports",
        {
            "userId": uid(bob),
            "reason": "threat",
            "details": "He would not take no for an answer.",
            "messageIds": ["m-1", "m-2"],
            "messages": [{"id": "m-2", "senderId": uid(bob), "text": SECRET_LINE}],
        },
    )
    assert report["status"] == "OPEN" and report["userId"] == uid(bob)
    # Unmatching and blocking do not make a report go away.
    await eve.delete(f"/v1/matches/{match_id}")
    await eve.post("/v1/users/me/blocks", {"userId": uid(bob)})
    assert [r["id"] for r in (await eve.get("/v1/safety/reports"))["reports"]] == [report["id"]]
    # The messages the reporter submitted are sealed at rest.
    assert await rows_naming(disco.system.settings, [SECRET_LINE]) == []

    for client, path in [
        (bob, f"/v1/safety/reports/{report['id']}"),
        (bob, "/v1/safety/moderation/reports"),
        (eve, "/v1/safety/moderation/reports"),
    ]:
        response = await client.request("GET", path)
        assert response.status_code in (403, 404), (path, response.text)

    mod = await moderator(disco.system, disco.url)
    queue = (await mod.get("/v1/safety/moderation/reports"))["reports"]
    (item,) = [r for r in queue if r["id"] == report["id"]]
    assert item["reporterId"] == uid(eve) and item["reason"] == "threat"
    assert item["messages"][0]["text"] == SECRET_LINE and item["messageIds"] == ["m-1", "m-2"]
    assert item["reportedTrust"]["reports"] >= 1

    acted = await mod.post(
        f"/v1/safety/moderation/reports/{report['id']}/actions",
        {"action": "ban", "note": "threats in chat"},
    )
    assert acted["status"] == "ACTIONED" and acted["actions"][0]["action"] == "ban"
    assert (await eve.get(f"/v1/safety/reports/{report['id']}"))["status"] == "ACTIONED"
    queue = (await mod.get("/v1/safety/moderation/reports"))["reports"]
    assert report["id"] not in [r["id"] for r in queue]
    done = await mod.get("/v1/safety/moderation/reports", params={"status": "ACTIONED"})
    assert report["id"] in [r["id"] for r in done["reports"]]

    # The auth service enforces the ban: bob's session ends.
    async def signed_out() -> bool:
        return (await bob.request("GET", "/v1/users/me")).status_code == 401

    await eventually(signed_out, what="the ban to end bob's session")
    for client in (eve, bob, mod):
        await client.close()


async def test_bad_reports_and_actions_are_refused(disco: Running) -> None:
    eve, bob = await person(disco.url, "Eve"), await person(disco.url, "Bob")
    for body in [
        {"userId": uid(eve), "reason": "spam"},  # oneself
        {"userId": uid(bob), "reason": "boring"},
        {"userId": uid(bob)},
        {"userId": uid(bob), "reason": "spam", "messages": [{"text": ""}]},
        {"userId": uid(bob), "reason": "spam", "messageIds": ["x"] * 101},
        {"userId": uid(bob), "reason": "spam", "surprise": True},
        {"userId": "a\x00b", "reason": "spam"},  # PostgreSQL refuses a NUL: a 422, not a 500
    ]:
        response = await eve.request("POST", "/v1/safety/reports", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await eve.get("/v1/safety/reports"))["reports"] == []

    report = await eve.post("/v1/safety/reports", {"userId": uid(bob), "reason": "spam"})
    mod = await moderator(disco.system, disco.url)
    path = f"/v1/safety/moderation/reports/{report['id']}/actions"
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for body, code in [
        ({"action": "suspend"}, 422),  # until when?
        ({"action": "suspend", "until": past}, 422),
        ({"action": "delete"}, 422),
    ]:
        response = await mod.request("POST", path, json=body)
        assert response.status_code == code, (body, response.text)
    missing = await mod.request(
        "POST", "/v1/safety/moderation/reports/nope/actions", json={"action": "warn"}
    )
    assert missing.status_code == 404
    refused = await eve.request("POST", path, json={"action": "warn"})
    assert refused.status_code == 403
    assert (await eve.get(f"/v1/safety/reports/{report['id']}"))["status"] == "OPEN"

    async with bob.socket() as socket:
        warned = await mod.post(path, {"action": "warn", "note": "first warning"})
        assert warned["status"] == "ACTIONED"
        frame = await socket.expect("notification")
        assert frame["data"]["kind"] == "moderation_warning"
    for client in (eve, bob, mod):
        await client.close()


async def test_ratings_once_per_match_and_a_trust_score_for_moderators(
    disco: Running,
) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    eve = await person(disco.url, "Eve")
    match_id = await matched(disco.system, ada, bob)

    # Confirming a check-in for the meetup asks both of them for a rating.
    due = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    checkin = await ada.post("/v1/safety/checkins", {"dueAt": due, "matchId": match_id})
    async with bob.socket() as socket:
        await ada.post(f"/v1/safety/checkins/{checkin['id']}/confirm")
        prompt = await socket.expect("notification")
        assert prompt["data"] == {
            "kind": "rating_prompt",
            "matchId": match_id,
            "subject": prompt["data"]["subject"],
            "body": prompt["data"]["body"],
        }

    rating = await ada.post("/v1/safety/ratings", {"matchId": match_id, "score": 5})
    assert rating["score"] == 5 and rating["matchId"] == match_id
    for client, body, code in [
        (ada, {"matchId": match_id, "score": 1}, 409),  # once
        (eve, {"matchId": match_id, "score": 1}, 404),  # not theirs
        (bob, {"matchId": match_id, "score": 6}, 422),
        (bob, {"matchId": match_id, "score": 0}, 422),
        (bob, {"matchId": match_id}, 422),
        (bob, {"matchId": "no-such-match", "score": 3}, 404),
    ]:
        response = await client.request("POST", "/v1/safety/ratings", json=body)
        assert response.status_code == code, (body, response.text)
    # Rating outlives the match: after unmatching, bob still rates the meetup.
    await bob.delete(f"/v1/matches/{match_id}")
    await bob.post("/v1/safety/ratings", {"matchId": match_id, "score": 2, "comment": "late"})

    try:
        await ada.get(f"/v1/safety/moderation/users/{uid(bob)}/trust")
        raise AssertionError("a member saw a trust score")
    except ApiError as err:
        assert err.status == 403
    mod = await moderator(disco.system, disco.url)
    # Bayesian average, prior 3.5 weighing 5 ratings: (5 * 3.5 + 5) / 6 = 3.75.
    bob_trust = await mod.get(f"/v1/safety/moderation/users/{uid(bob)}/trust")
    assert bob_trust == {"userId": uid(bob), "score": 3.75, "ratings": 1, "reports": 0}
    ada_trust = await mod.get(f"/v1/safety/moderation/users/{uid(ada)}/trust")
    assert ada_trust["score"] == round((5 * 3.5 + 2) / 6, 2) and ada_trust["ratings"] == 1
    for client in (ada, bob, eve, mod):
        await client.close()


async def test_a_deleted_account_leaves_nothing_in_safety(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    ada_id = uid(ada)
    match_id = await matched(disco.system, ada, bob)
    await ada.put("/v1/safety/pin", {"pin": "2468"})
    await ada.post("/v1/safety/alerts", {"location": {"latitude": 1.0, "longitude": 2.0}})
    due = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    await ada.post("/v1/safety/checkins", {"dueAt": due, "matchId": match_id})
    await ada.post("/v1/safety/reports", {"userId": uid(bob), "reason": "spam"})
    await bob.post("/v1/safety/reports", {"userId": ada_id, "reason": "spam"})
    await bob.post("/v1/safety/ratings", {"matchId": match_id, "score": 4})

    def safety_rows(rows: list[str]) -> list[str]:
        return [r for r in rows if "safety_" in r]

    assert safety_rows(await rows_naming(disco.system.settings, [ada_id]))
    await ada.delete("/v1/users/me")

    async def forgotten() -> bool:
        return not safety_rows(await rows_naming(disco.system.settings, [ada_id]))

    await eventually(forgotten, what="safety to forget the deleted user")
    assert (await bob.get("/v1/safety/reports"))["reports"] == []
    await ada.close()
    await bob.close()
