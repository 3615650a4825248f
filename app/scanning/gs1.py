"""biip, imported without GS1's company-prefix table.

`biip.gs1_prefixes` reads the whole GS1 company-prefix table into nested dicts when it is imported, to name the
company prefix inside a GTIN — 8 to 16 MB in every gunicorn worker. Storekeeper never uses the company prefix
(items are found by the whole GTIN), so while biip is first imported that one file reads as an empty table:
biip then reports no company prefix (`Gtin.company_prefix` is None) and parses and validates everything else —
GTINs, check digits, GS1 element strings, the GS1 prefix — exactly as before. If biip was imported already, or its
data is not plain files, nothing is changed and the table is simply loaded.
"""

from __future__ import annotations

import json
import lzma
import pathlib
import sys

COMPANY_PREFIX_TABLE = "_company_prefix_trie.json.lzma"


def _import_without_company_prefixes() -> None:
    if "biip.gs1_prefixes" in sys.modules:
        return
    real = pathlib.Path.read_bytes
    empty = lzma.compress(json.dumps({}).encode())

    def read_bytes(self: pathlib.Path) -> bytes:
        return empty if self.name == COMPANY_PREFIX_TABLE else real(self)

    pathlib.Path.read_bytes = read_bytes  # type: ignore[method-assign]
    try:
        import biip.gs1_prefixes  # noqa: F401 - imported here, once, with the table left out
    finally:
        pathlib.Path.read_bytes = real  # type: ignore[method-assign]


_import_without_company_prefixes()

from biip import ParseConfig, parse  # noqa: E402 - after the import above, on purpose
from biip.gs1_messages import GS1Message  # noqa: E402
from biip.gtin import Gtin  # noqa: E402

__all__ = ["GS1Message", "Gtin", "ParseConfig", "parse"]
