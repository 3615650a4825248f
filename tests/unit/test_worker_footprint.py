"""A gunicorn worker carries only what serving needs: no Alembic (migrations run from `flask db`), no GS1
company-prefix table (items are found by their whole GTIN). Each is several megabytes in every worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from app import create_app
app = create_app()
import biip.gs1_prefixes as prefixes
from app.scanning.rules import parse
item = parse("4006381333931")
print(json.dumps({"alembic": "alembic" in sys.modules, "flask_migrate": "flask_migrate" in sys.modules,
                  "company_prefixes": len(prefixes._GS1_COMPANY_PREFIX_TRIE), "gs1_prefixes": len(prefixes._GS1_PREFIX_TRIE),
                  "key": item.key, "gs1": parse("0104006381333931\\x1d10LOT7").lot}))
"""


def _probe(tmp_path, **env) -> dict:
    run_env = {k: v for k, v in os.environ.items() if k != "FLASK_RUN_FROM_CLI"}
    run_env.update(STOREKEEPER_ENV="production", SECRET_KEY="x" * 40,
                   DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}", **env)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=run_env, capture_output=True, text=True,  # noqa: S603
                         timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_serving_process_loads_neither_alembic_nor_the_company_prefix_table_and_still_reads_gs1(tmp_path):
    seen = _probe(tmp_path)
    assert not seen["alembic"] and not seen["flask_migrate"]
    assert seen["company_prefixes"] == 0 and seen["gs1_prefixes"] > 0
    assert seen["key"] == "04006381333931" and seen["gs1"] == "LOT7"


def test_the_flask_command_still_has_its_migrations(tmp_path):
    seen = _probe(tmp_path, FLASK_RUN_FROM_CLI="true")
    assert seen["flask_migrate"] and seen["alembic"]
