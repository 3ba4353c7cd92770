"""The flows the router hands intents and card actions to, beyond the built-in ones (lookup, sync,
troubleshoot, small talk, follow-ups). Add a flow here: one line, see dialogs/router.py ``Flow``."""

from __future__ import annotations

from typing import Any

from dialogs.device_health import DeviceHealthFlow
from dialogs.services import Services
from dialogs.tickets import TicketFlow


def build_flows(services: Services) -> list[Any]:
    flows: list[Any] = [DeviceHealthFlow(services)]
    if services.tickets is not None:
        flows.append(TicketFlow(services))
    return flows
