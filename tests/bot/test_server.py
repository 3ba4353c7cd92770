"""What `python -m bot` serves: the same app, with start-up objects kept out of the GC's walks."""

from __future__ import annotations

import gc

from aiohttp.test_utils import TestClient, TestServer

from bot.app import SERVICES
from bot.server import serving_app
from bot.settings import Settings
from tests.bot.conftest import teams_activity, texts


async def test_served_app_freezes_what_start_up_built_and_still_answers() -> None:
    gc.unfreeze()
    try:
        app = serving_app(Settings(storage_url="memory://", log_level="WARNING"))
        assert gc.get_freeze_count() == 0  # nothing frozen before the services are open
        async with TestClient(TestServer(app)) as client:
            # The matcher's indexes are built by then: frozen, so no longer in any GC generation.
            choices = app[SERVICES].matcher._choices
            assert gc.is_tracked(choices) and gc.get_freeze_count() > 0
            assert not any(o is choices for o in gc.get_objects())
            resp = await client.post("/api/messages", json=teams_activity("0x87D1FDE8"))
            assert resp.status == 200
            assert "0x87D1FDE8" in texts((await resp.json())["activities"])
    finally:
        gc.unfreeze()
