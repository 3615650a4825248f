"""Security headers on every response, and a safe `next=` for redirects."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, g, request, session

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CSP = "; ".join(
    [
        "default-src 'self'",
        # wasm-unsafe-eval lets the WebAssembly barcode decoder compile; no inline script, no eval.
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def apply_headers(resp, *, secure: bool):
    h = resp.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=()")
    if secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if resp.mimetype == "text/html" and "Cache-Control" not in h:
        # Pages carry personal data and CSRF tokens: never kept by shared caches.
        h["Cache-Control"] = "no-store"
    return resp


# How long a signed CSRF token is handed out again to pages of the same session. Signing one (an HMAC, a timestamp,
# base64) was a fifth of rendering a scan panel; the token stays valid for WTF_CSRF_TIME_LIMIT (12 h) from when it
# was signed, so a page gets one at most this much older than a freshly signed one.
CSRF_REUSE_SECONDS = 300
CSRF_REUSE_ENTRIES = 10_000  # sessions remembered per worker before the memory starts afresh


def csrf_token() -> str:
    """Flask-WTF's generate_csrf (the template global csrf_token), reusing the token signed for this session's
    secret a moment ago instead of signing it again for every page."""
    from flask_wtf.csrf import generate_csrf

    if "csrf_token" in g:
        return g.csrf_token
    raw = session.get("csrf_token")
    signed = current_app.extensions.setdefault("storekeeper_csrf_tokens", {})
    hit = signed.get(raw) if isinstance(raw, str) else None
    now = time.monotonic()
    if hit is not None and now - hit[1] < CSRF_REUSE_SECONDS:
        g.csrf_token = hit[0]
        return hit[0]
    token = generate_csrf()  # puts a secret in the session first if it had none
    if len(signed) >= CSRF_REUSE_ENTRIES:
        signed.clear()
    signed[session["csrf_token"]] = (token, now)
    return token


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths; anything else (//evil, https://evil, javascript:) falls back."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def bearer_token() -> str | None:
    """The bearer token of an API request (only /api/ honours tokens)."""
    if not request.path.startswith("/api/"):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def check_csrf() -> None:
    if request.method not in UNSAFE_METHODS or bearer_token() is not None:
        return
    if request.path.startswith("/api/"):
        from flask_login import current_user

        if not current_user.is_authenticated:
            return  # nothing to forge without a session: the API answers 401 next
    from ..extensions import csrf

    csrf.protect()


def refuse_nul_bytes() -> None:
    """A NUL character is never meaningful input, and PostgreSQL cannot store one in text: refuse it up front with
    a clear 400 instead of failing deep in a write (scanners send GS, 0x1D, as the GS1 separator — that one is fine).
    The API answers 422, the status its document gives for input that fails validation."""
    from flask import abort

    status = 422 if request.path.startswith("/api/") else 400
    values = [request.path, *request.args.values(), *request.form.values()]
    if any("\x00" in v for v in values):
        abort(status, "The request contains a NUL character, which is never valid input.")
    if request.is_json:
        body = request.get_data(cache=True) or b""
        if b"\\u0000" in body or b"\x00" in body:
            abort(status, "The request contains a NUL character, which is never valid input.")
