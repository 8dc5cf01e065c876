"""The stand-in SMS and push provider records what a real one would have taken: a request cut
off mid-body (its sender killed, as the outage tests do) is not a message. Before, it was
recorded as accepted with an empty body, and a kill test failed looking for its recipient."""

from __future__ import annotations

import socket
import time

from tests.support.providers import Provider


def test_a_request_cut_off_mid_body_is_not_taken() -> None:
    provider = Provider()
    provider.start()
    try:
        with socket.create_connection(("127.0.0.1", provider.port)) as cut_off:
            cut_off.sendall(
                b"POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + provider.key.encode() + b"\r\n"
                b'Content-Length: 40\r\n\r\n{"to": "+1888'
            )
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and not provider.requests:
            time.sleep(0.05)
        assert provider.requests == []
        with socket.create_connection(("127.0.0.1", provider.port)) as whole:
            body = b'{"to": "+18880000001", "text": "hi"}'
            whole.sendall(
                b"POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + provider.key.encode() + b"\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            assert whole.recv(100).startswith(b"HTTP/1.0 202")
        assert [r.body["to"] for r in provider.accepted()] == ["+18880000001"]
    finally:
        provider.stop()
