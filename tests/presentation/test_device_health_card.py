"""The device status card's words: every fix the settings file names is worded in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intune.device_health import ComplianceIssue, DeviceHealth, load_setting_rules
from intune.models import Device
from presentation import device_health as view
from presentation.i18n import Translator
from tests.bot.conftest import texts

RULES, DEFAULT = load_setting_rules()
FIXES = sorted({r.fix for r in RULES.values()} | {DEFAULT.fix})


def _device(os_name: str = "iPadOS", **kw: object) -> Device:
    values = dict(id="d1", name="Test device", operating_system=os_name, os_version="17.5", compliance_state=
                  "inGracePeriod", management_state="managed", owner_type="personal",
                  last_sync=datetime.now(UTC) - timedelta(hours=3), user_id="u1", user_principal_name="u@x.com",
                  user_display_name="User One", model="", manufacturer="", serial_number="", enrolled=None,
                  grace_period_until=datetime.now(UTC) + timedelta(days=2))
    values.update(kw)
    return Device(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("fix", FIXES)
def test_every_fix_has_its_own_words(lang: str, fix: str) -> None:
    t = Translator(lang)
    issue = ComplianceIssue("setting", fix, True, "6", None, "Policy", "nonCompliant")
    text = view.issue_text(t, issue, _device())
    generic = view.issue_text(t, ComplianceIssue("x", "other", False, None, None, "Policy", "nonCompliant"),
                              _device())
    assert text and (fix == "other" or text != generic), fix
    if lang == "fr":
        assert text != view.issue_text(Translator("en"), issue, _device()), f"{fix}: not translated"


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("audience", [view.USER, view.AGENT])
def test_the_card_renders_with_every_fix(lang: str, audience: str) -> None:
    t = Translator(lang)
    issues = tuple(ComplianceIssue("zzSetting", fix, RULES.get(fix, DEFAULT).who == "user", None, "0", "Policy",
                                   "nonCompliant") for fix in FIXES)
    card = view.device_health_card(t, DeviceHealth(_device(), issues), audience=audience)
    shown = texts([{"attachments": [{"content": card}]}])
    assert "${" not in shown and "Test device" in shown
    assert ("zzSetting" in shown) is (audience == view.AGENT)  # the admin center's setting names: agents only


def test_a_wipe_pending_device_shows_the_warning_and_no_sync_for_users() -> None:
    t = Translator("en")
    device = _device(management_state="wipePending", compliance_state="noncompliant")
    card = view.device_health_card(t, DeviceHealth(device, ()), can_sync=False)
    shown = texts([{"attachments": [{"content": card}]}])
    assert "erased now" in shown and "wipe pending" in shown
    assert not card.get("actions")
