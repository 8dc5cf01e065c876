"""Email verification and password reset through a real SMTP mailbox, on both backends."""

from __future__ import annotations

import pytest

from disco.client import ApiError, DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.mailbox import Mail, Mailbox

NEW_PASSWORD = "another rather unusual passphrase"


async def mail_with_subject(mailbox: Mailbox, email: str, words: str) -> Mail:
    """The newest mail to ``email`` whose subject has ``words``, waiting for it to arrive."""
    for count in range(1, 10):
        matching = [m for m in await mailbox.wait_for(email, count) if words in m.subject]
        if matching:
            return matching[-1]
    raise AssertionError(f"no {words!r} mail to {email}")


async def test_email_verification_link_works_once(disco: Running, mailbox: Mailbox) -> None:
    email = unique_email("verify")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "Ada", "Lovelace")
        mail = await mail_with_subject(mailbox, email, "Confirm your email")
        token = mail.token()
        assert (await c.get("/v1/auth/me"))["emailVerified"] is False

        answer = await c.post("/v1/auth/verify-email", {"token": token})
        assert answer["status"] == "verified"
        assert (await c.get("/v1/auth/me"))["emailVerified"] is True

        with pytest.raises(ApiError) as err:
            await c.post("/v1/auth/verify-email", {"token": token})
        assert err.value.status == 422
        assert err.value.code == "VALIDATION_ERROR"


async def test_a_made_up_verification_token_is_refused(client: DiscoClient) -> None:
    with pytest.raises(ApiError) as err:
        await client.post("/v1/auth/verify-email", {"token": "not-a-real-token"})
    assert err.value.status == 422


async def test_resend_spends_the_old_link(disco: Running, mailbox: Mailbox) -> None:
    email = unique_email("resend")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "Ada", "Lovelace")
        old = (await mail_with_subject(mailbox, email, "Confirm your email")).token()
        await c.post("/v1/auth/verify-email/resend")
        mails = await mailbox.wait_for(email, 2)
        new = mails[-1].token()
        assert new != old
        with pytest.raises(ApiError):
            await c.post("/v1/auth/verify-email", {"token": old})
        await c.post("/v1/auth/verify-email", {"token": new})
        with pytest.raises(ApiError) as err:
            await c.post("/v1/auth/verify-email/resend")
        assert err.value.status == 409


async def test_reset_request_looks_the_same_for_known_and_unknown_emails(
    disco: Running, mailbox: Mailbox
) -> None:
    known, unknown = unique_email("reset-known"), unique_email("reset-unknown")
    async with DiscoClient(disco.url) as c:
        await c.signup(known, PASSWORD, "Ada", "Lovelace")
    async with DiscoClient(disco.url) as anonymous:
        answers = []
        for email in (unknown, known):
            response = await anonymous.request(
                "POST", "/v1/auth/password-reset/request", json={"email": email}
            )
            answers.append((response.status_code, response.json()))
        assert answers[0] == answers[1] == (202, {"status": "accepted"})
        # The unknown address was asked first; by the time the known one's mail is in, any
        # mail to the unknown one would be too.
        await mail_with_subject(mailbox, known, "Reset your Disco password")
        assert mailbox.to(unknown) == []


async def test_password_reset_is_single_use_and_ends_every_session(
    disco: Running, mailbox: Mailbox
) -> None:
    email = unique_email("reset")
    async with DiscoClient(disco.url) as old_session, DiscoClient(disco.url) as anonymous:
        await old_session.signup(email, PASSWORD, "Ada", "Lovelace")
        old_refresh = old_session.refresh_token
        await anonymous.post("/v1/auth/password-reset/request", {"email": email})
        token = (await mail_with_subject(mailbox, email, "Reset your Disco password")).token()

        # A password the policy refuses leaves the link usable.
        with pytest.raises(ApiError) as err:
            await anonymous.post(
                "/v1/auth/password-reset/reset", {"token": token, "password": "password1"}
            )
        assert err.value.status == 422

        answer = await anonymous.post(
            "/v1/auth/password-reset/reset", {"token": token, "password": NEW_PASSWORD}
        )
        assert answer["status"] == "reset"

        # Old access token and refresh family: gone.
        with pytest.raises(ApiError) as err:
            await old_session.get("/v1/auth/me")
        assert err.value.status == 401
        with pytest.raises(ApiError) as err:
            await anonymous.post("/v1/auth/refresh", {"refreshToken": old_refresh})
        assert err.value.status == 401

        # The link worked once.
        with pytest.raises(ApiError) as err:
            await anonymous.post(
                "/v1/auth/password-reset/reset", {"token": token, "password": "yet another phrase"}
            )
        assert err.value.status == 422

        with pytest.raises(ApiError) as err:
            await anonymous.login(email, PASSWORD)
        assert err.value.status == 401
        await anonymous.login(email, NEW_PASSWORD)
        me = await anonymous.get("/v1/auth/me")
        assert me["email"] == email
        # Following the link proved the address.
        assert me["emailVerified"] is True
        notice = await mail_with_subject(mailbox, email, "password was changed")
        assert "token=" not in notice.body


async def test_a_new_reset_request_spends_the_previous_link(
    disco: Running, mailbox: Mailbox
) -> None:
    email = unique_email("reset-twice")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "Ada", "Lovelace")
    async with DiscoClient(disco.url) as c:
        await c.post("/v1/auth/password-reset/request", {"email": email})
        first = (await mail_with_subject(mailbox, email, "Reset your Disco password")).token()
        await c.post("/v1/auth/password-reset/request", {"email": email})
        mails = await mailbox.wait_for(email, 3)
        second = mails[-1].token()
        assert second != first
        with pytest.raises(ApiError) as err:
            await c.post(
                "/v1/auth/password-reset/reset", {"token": first, "password": NEW_PASSWORD}
            )
        assert err.value.status == 422
        await c.post("/v1/auth/password-reset/reset", {"token": second, "password": NEW_PASSWORD})
        await c.login(email, NEW_PASSWORD)
