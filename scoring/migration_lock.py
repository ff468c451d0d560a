"""One lock for Alembic in this process.

Alembic's command API keeps module-level state, so two migrations on two threads at once
break each other (``KeyError: 'config'``, or a half-made ``_alembic_tmp_*`` table left behind
for good). Two things migrate with it here: odx's catalogue (``odx.platform.db.engine``) and
MLflow's SQLite store the first time it is opened (``odx.scoring.tracking``); both take this
lock, whichever thread they run on.
"""

from __future__ import annotations

import threading

ALEMBIC_LOCK = threading.RLock()
