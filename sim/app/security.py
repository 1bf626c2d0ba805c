"""Request checks: a local app that runs jobs is a target for cross-site requests.

Every request, before Dash sees it (a Flask ``before_request`` hook):

- **Host** must be one the app is served as (``127.0.0.1:PORT``, ``localhost:PORT``, the
  ``--host`` given): a DNS-rebinding page reaches the app under its own name and gets 421.
- **POST** (every Dash callback, the only way anything runs or is written) must carry an
  ``Origin`` of the app itself when it carries one (another site's page gets 403), and the
  anti-forgery token: the page's GET sets the ``_csrf_token`` cookie (SameSite=Strict), Dash's
  renderer sends it back as the ``X-CSRFToken`` header, and both must equal the server's token
  (double submit; another site can neither read the cookie nor set the header without a CORS
  preflight the app never grants).
- **GET** and HEAD never run or write: only pages, Dash's assets and read-only files are served;
  any other method is refused.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Flask, Response, request

COOKIE = "_csrf_token"
HEADER = "X-CSRFToken"
SAFE_METHODS = ("GET", "HEAD")
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Guard:
    """The hosts the app answers to and its anti-forgery token (fresh for each start)."""

    hosts: frozenset[str]
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @classmethod
    def for_address(cls, host: str, port: int, extra: Iterable[str] = ()) -> Guard:
        names = {host, *extra}
        if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
            names.update(LOOPBACK)
        bracketed = {f"[{n}]" if ":" in n and not n.startswith("[") else n for n in names}
        hosts = {f"{name}:{port}" for name in bracketed if name not in ("0.0.0.0", "[::]")}
        return cls(frozenset(hosts))

    def origins(self) -> set[str]:
        return {f"http://{host}" for host in self.hosts}

    def refusal(
        self, method: str, host: str, origin: str | None, cookie: str | None, header: str | None
    ) -> tuple[int, str] | None:
        """Why a request is refused (status, reason), or None to let it through."""
        if host not in self.hosts:
            return 421, f"unknown Host {host!r}: this app answers only as {sorted(self.hosts)}"
        if method in SAFE_METHODS:
            return None
        if method != "POST":
            return 405, f"method {method} not allowed"
        if origin is not None and origin not in self.origins():
            return 403, f"cross-site request from {origin!r} refused"
        if not (cookie and header and _same(cookie, self.token) and _same(header, self.token)):
            return 403, "missing or wrong anti-forgery token (reload the page)"
        return None

    def install(self, server: Flask) -> None:
        """Check every request before it is handled; give each page the token cookie."""

        @server.before_request
        def check() -> Response | None:
            refused = self.refusal(
                request.method,
                request.host,
                request.headers.get("Origin"),
                request.cookies.get(COOKIE),
                request.headers.get(HEADER),
            )
            if refused is None:
                return None
            status, reason = refused
            return Response(reason + "\n", status=status, mimetype="text/plain")

        @server.after_request
        def headers(response: Response) -> Response:
            if request.method == "GET" and response.mimetype == "text/html":
                response.set_cookie(COOKIE, self.token, samesite="Strict", httponly=False)
            response.headers["X-Frame-Options"] = "DENY"  # no clickjacking in a frame
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
