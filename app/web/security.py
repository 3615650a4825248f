"""Security headers on every response, and a safe `next=` for redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

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
