"""parse_device_target and device_matches: how people name devices, in English and French."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intune import Device, device_matches, parse_device_target

CASES = [
    # English
    ("DESKTOP-42", (None, "DESKTOP-42")),
    ("DESKTOP-42QX7T1", (None, "DESKTOP-42QX7T1")),
    ("alice@contoso.com's iPhone", ("alice@contoso.com", "iPhone")),
    ("Alice's iPad", ("Alice", "iPad")),
    ("Grace O'Brien's iPhone", ("Grace O'Brien", "iPhone")),
    ("Grace O’Brien’s iPhone", ("Grace O'Brien", "iPhone")),
    ("the iPad of Bob Durand", ("Bob Durand", "iPad")),
    ("iPhone for alice@contoso.com", ("alice@contoso.com", "iPhone")),
    ("sync my iPhone please", (None, "iPhone")),
    ("please sync DESKTOP-42QX7T1", (None, "DESKTOP-42QX7T1")),
    ("my devices", (None, None)),
    ("Bob's devices", ("Bob", None)),
    ("alice@contoso.com", ("alice@contoso.com", None)),
    ("for bob@contoso.com", ("bob@contoso.com", None)),
    ("LAB-W11-007", (None, "LAB-W11-007")),
    ("me", (None, None)),
    ("", (None, None)),
    # French
    ("l'iPad d'Alice", ("Alice", "iPad")),
    ("l’iPhone de chloe@contoso.com", ("chloe@contoso.com", "iPhone")),
    ("synchronise l'iPad d'Alice", ("Alice", "iPad")),
    ("synchroniser le PC de Bob", ("Bob", "PC")),
    ("le Mac d'Hélène", ("Hélène", "Mac")),
    ("mon iPhone", (None, "iPhone")),
    ("ma tablette", (None, "tablette")),
    ("mes appareils", (None, None)),
    ("les appareils de Chloé Dubois", ("Chloé Dubois", None)),
    ("iPhone de Chloé", ("Chloé", "iPhone")),
    ("MacBook Air de Chloé", ("Chloé", "MacBook Air")),
    ("le téléphone du directeur", ("directeur", "téléphone")),
    ("stp synchronise DESKTOP-42 !", (None, "DESKTOP-42")),
    ("pour bob@contoso.com", ("bob@contoso.com", None)),
    ("LA-TABLETTE-01", (None, "LA-TABLETTE-01")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_parse_device_target(text: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_device_target(text) == expected


def _device(name: str, os_name: str, model: str, manufacturer: str = "Apple") -> Device:
    return Device(
        id=name, name=name, operating_system=os_name, os_version="1", compliance_state="compliant",
        management_state="managed", owner_type="company", last_sync=datetime.now(UTC), user_id="u",
        user_principal_name="u@contoso.com", user_display_name="U", model=model, manufacturer=manufacturer,
        serial_number="S", enrolled=None,
    )  # fmt: skip


IPHONE = _device("Alice's iPhone", "iOS", "iPhone 15")
IPAD = _device("Alice's iPad", "iPadOS", "iPad Air (5th generation)")
PC = _device("DESKTOP-42QX7T1", "Windows", "Latitude 7440", "Dell Inc.")
MAC = _device("MacBook Air de Chloé", "macOS", "MacBook Air (M2, 2022)")
PIXEL = _device("Bob-Pixel8", "Android", "Pixel 8", "Google")


@pytest.mark.parametrize(
    ("hint", "matching"),
    [
        (None, {IPHONE, IPAD, PC, MAC, PIXEL}),
        ("iPhone", {IPHONE}),
        ("iPad", {IPAD}),
        ("téléphone", {IPHONE, PIXEL}),
        ("phone", {IPHONE, PIXEL}),
        ("tablette", {IPAD}),
        ("PC", {PC, MAC}),
        ("ordinateur", {PC, MAC}),
        ("Mac", {MAC}),
        ("macbook air", {MAC}),
        ("desktop-42", {PC}),
        ("DESKTOP-42QX7T1", {PC}),
        ("pixel", {PIXEL}),
        ("dell", {PC}),
        ("android", {PIXEL}),
        ("chloe", {MAC}),  # accent-insensitive part of the name
        ("surface", set()),
    ],
)
def test_device_matches(hint: str | None, matching: set[Device]) -> None:
    devices = [IPHONE, IPAD, PC, MAC, PIXEL]
    assert {d for d in devices if device_matches(d, hint)} == matching



def test_words_that_describe_no_device_are_dropped_only_when_nothing_matches() -> None:
    from intune.targets import loose_matches

    devices = [_device("DESKTOP-42OLD01", "Windows", "ThinkPad T14", "Lenovo"),
               _device("iPhone de Chloé", "iOS", "iPhone 14 Pro")]
    assert [d.name for d in loose_matches(devices, "ancien pc")] == ["DESKTOP-42OLD01"]
    assert [d.name for d in loose_matches(devices, "my work phone")] == ["iPhone de Chloé"]
    assert loose_matches(devices, "pc") == []  # nothing to drop: the strict match decides
    assert loose_matches(devices, "vieux toaster") == []  # nothing left: no guess
    assert loose_matches(devices, "DESKTOP-42QX7T1") == []  # names are never loosened
