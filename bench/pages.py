"""Transfer sizes of the scan page as a phone downloads it: the HTML and every stylesheet and script it links,
compressed as the server sends them (Accept-Encoding: br, gzip), without the barcode decoder (loaded lazily, only
where the browser has no BarcodeDetector)."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlsplit

from .load import Conn, sign_in

DECODER = re.compile(r"zxing|barcode-detector|\.wasm", re.I)


async def _sizes(base: str, email: str, password: str, path: str) -> dict:
    u = urlsplit(base)
    cookie, _csrf = await sign_in(u.hostname, u.port, email, password)
    c = Conn(u.hostname, u.port)
    enc = {"Accept-Encoding": "br, gzip", "Cookie": cookie}
    st, h, html = await c.request("GET", path, enc)
    out = {"page": path, "status": st, "html": len(html), "html_encoding": h.get("content-encoding", "identity"), "assets": {}}
    raw = html
    if h.get("content-encoding") == "gzip":
        import gzip

        raw = gzip.decompress(html)
    elif h.get("content-encoding") == "br":
        try:
            import brotli

            raw = brotli.decompress(html)
        except ImportError:
            st2, _h2, raw = await c.request("GET", path, {"Cookie": cookie})
    refs = re.findall(rb'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+\.(?:js|css|mjs)[^"]*)"', raw)
    for ref in dict.fromkeys(r.decode() for r in refs):
        if ref.startswith("http") or DECODER.search(ref):
            continue
        st, h, body = await c.request("GET", ref, {"Accept-Encoding": "br, gzip"})
        out["assets"][ref] = {"status": st, "bytes": len(body), "encoding": h.get("content-encoding", "identity")}
    await c.close()
    out["total"] = out["html"] + sum(a["bytes"] for a in out["assets"].values())
    return out


def page_sizes(base: str, email: str, password: str) -> dict:
    return asyncio.run(_sizes(base, email, password, "/scan/"))
