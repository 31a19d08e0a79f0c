#!/usr/bin/env bash
# Regenerates 0001 from the models. Only valid while 0001 has not been released.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f alembic/versions/0001_initial_schema.py /tmp/mailbot-gen.db
python - <<'PY'
from alembic import command
from mailbot.db.engine import alembic_config
command.revision(alembic_config("sqlite:////tmp/mailbot-gen.db"), message="initial schema", autogenerate=True, rev_id="0001")
PY
sed -i 's/mailbot\.db\.models\.UTCDateTime(timezone=True)/sa.DateTime(timezone=True)/g' alembic/versions/0001_initial_schema.py
ruff check --fix -q alembic/versions/0001_initial_schema.py || true
ruff format -q alembic/versions/0001_initial_schema.py || true
