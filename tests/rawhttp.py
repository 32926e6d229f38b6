"""HTTP as an attacker writes it: bytes on one socket, and the replies the server sends back, in order."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connect(port: int, source: str = "127.0.0.1", timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def converse(
    port: int, data: bytes, source: str = "127.0.0.1", heads: tuple[int, ...] = ()
) -> list[RawReply]:
    """Send `data` on one connection and read until the server closes it (end `data` with a request that says
    Connection: close, or with one the server must refuse). `heads`: which replies answer a HEAD (no body)."""
    with connect(port, source) as sock:
        sock.sendall(data)
        return parse_replies(read_until_closed(sock), heads)


def read_reply(sock: socket.socket) -> RawReply:
    """One whole reply (to anything but HEAD) from a connection that stays open."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before a whole reply: {data!r}"
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0]
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(data) < len(head) + 4 + length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed before a whole reply"
        data += chunk
    return parse_replies(data)[0]


def parse_replies(data: bytes, heads: tuple[int, ...] = ()) -> list[RawReply]:
    replies: list[RawReply] = []
    while data:
        head, separator, rest = data.partition(b"\r\n\r\n")
        assert separator, f"an incomplete reply: {data[:200]!r}"
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if len(replies) in heads else int(headers.get("content-length", "0"))
        replies.append(RawReply(int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return replies


def request(method: str, path: str, *headers: str, body: bytes = b"", close: bool = False) -> bytes:
    """One request's bytes, headers given as "Name: value" lines exactly as they should go out."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def post_answer(answer: dict[str, Any], close: bool = False) -> bytes:
    body = json.dumps(answer).encode()
    return request(
        "POST",
        "/api/s/harbour/responses",
        "Content-Type: text/plain;charset=UTF-8",
        f"Content-Length: {len(body)}",
        body=body,
        close=close,
    )


CLOSING = request("GET", "/api/healthz", close=True)  # ends a conversation: answered 200, then closed
