"""crhelper fixes that can be checked without the embedded AWS."""

from __future__ import annotations

import socket

import polling_helper


def test_an_unreachable_response_url_is_given_up_after_bounded_attempts() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []

    delivered = polling_helper.send_response(
        f"https://127.0.0.1:{port}/r?X-Amz-Signature=secret",
        {"Status": "SUCCESS", "Data": {}},
        sleep=sleeps.append,
    )

    assert delivered is False
    assert sleeps == [polling_helper.RESPONSE_RETRY_SECONDS] * (
        polling_helper.RESPONSE_ATTEMPTS - 1
    )
