"""knowledge.codes: every way people write an Intune code is read as the one signed code, and
things that only look like numbers (GUIDs, dates, phone numbers, versions) are not codes."""

from __future__ import annotations

import pytest

from knowledge import Matcher
from knowledge.codes import CodeMention, find_codes, to_hex, to_signed

DEVICE_NOT_SUPERVISED = -2016281112  # 0x87D1FDE8
SYNC_TIMED_OUT = -2016330897  # 0x87D13B6F


def signed_codes(text: str) -> list[int]:
    """The most likely signed code of each numeric mention, in reading order."""
    return [m.candidates[0] for m in find_codes(text) if m.candidates]


def subcodes(text: str) -> list[str]:
    return [m.subcode for m in find_codes(text) if m.subcode]


def symbols(text: str) -> list[str]:
    return [m.symbol for m in find_codes(text) if m.symbol]


@pytest.mark.parametrize(
    "text",
    [
        "0x87D1FDE8",
        "0x87d1fde8",
        "0X87D1FDE8",
        "87D1FDE8",
        "87d1fde8",
        "-2016281112",
        "−2016281112",  # Unicode minus sign, as some web pages print it
        "2278686184",  # unsigned
        "2016281112",  # sign dropped, as the sync doc writes its codes
    ],
)
def test_every_form_of_a_code_reads_as_the_signed_code(text: str) -> None:
    assert signed_codes(text) == [DEVICE_NOT_SUPERVISED]


@pytest.mark.parametrize("text", ["SyncML(404)", "SyncML 404", "Syncml(404)", "syncml (404)", "SyncML: 404",
                                  "SYNCML[404]"])
def test_syncml_status_in_its_written_forms(text: str) -> None:
    assert subcodes(text) == ["syncml(404)"]


def test_dcmo_status() -> None:
    assert subcodes("DCMO(1400)") == ["dcmo(1400)"]
    assert subcodes("the device answered dcmo 1402") == ["dcmo(1402)"]


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("APP_CI_ENFORCEMENT_IN_PROGRESS", "APP_CI_ENFORCEMENT_IN_PROGRESS"),
        ("status APP_CI_ENFORCEMENT_IN_PROGRESS_WAITING_CONTENT since Monday",
         "APP_CI_ENFORCEMENT_IN_PROGRESS_WAITING_CONTENT"),
        ("app_ci_enforcement_error_installing", "APP_CI_ENFORCEMENT_ERROR_INSTALLING"),
    ],
)
def test_windows_app_status_symbols(text: str, symbol: str) -> None:
    assert symbols(text) == [symbol]


def test_a_symbol_is_not_also_read_as_its_parts() -> None:
    mentions = find_codes("APP_CI_ENFORCEMENT_ERROR")
    assert len(mentions) == 1 and mentions[0].symbol == "APP_CI_ENFORCEMENT_ERROR"


def test_several_codes_in_one_message_in_reading_order() -> None:
    text = "first 0x87D13B6F then -2016281112, and SyncML(404) at the end"
    mentions = find_codes(text)
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)
    assert signed_codes(text) == [SYNC_TIMED_OUT, DEVICE_NOT_SUPERVISED]
    assert subcodes(text) == ["syncml(404)"]


def test_the_same_code_twice_in_two_forms_is_found_twice() -> None:
    """Deduplication is the matcher's job; the parser reports what is written."""
    assert signed_codes("0x87D1FDE8 (-2016281112)") == [DEVICE_NOT_SUPERVISED, DEVICE_NOT_SUPERVISED]


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-15 10:22:03.512 ERROR [IntuneManagementExtension] Install failed hr=0x87D1FDE8",
        '<![LOG[Enforcement failed, error code -2016281112]LOG]!><time="10:22:03.512+000" date="01-15-2025">',
        '{"errorCode": -2016281112, "deviceName": "PC-042"}',
        '{"hex":"0x87D1FDE8"}',
        "https://intune.microsoft.com/#view/Device?errorCode=0x87D1FDE8&tab=overview",
        "Error:87D1FDE8;",
        "code=2278686184",
    ],
)
def test_codes_inside_logs_json_and_urls(text: str) -> None:
    assert signed_codes(text) == [DEVICE_NOT_SUPERVISED]


@pytest.mark.parametrize(
    "text",
    [
        "6f9619ff-8b86-d011-b42d-00cf4fc964ff",  # GUID
        "87d1fde8-1234-5678-9abc-def012345678",  # GUID whose first group looks like a code
        "device id {87D1FDE8-0000-4000-8000-000000000000}",
        "on 2024-05-17 at 10:30:00",
        "20240517",  # compact date
        "call +33 1 23 45 67 89",
        "call 0612345678",
        "+1 (425) 555-0100",
        "ring 4255550100",  # ten-digit phone number outside the code ranges
        "Windows version 10.0.19045.3693",
        "iOS 17.4.1",
        "build 2278686184.1",  # a version that happens to contain the digits
        "12345",
        "ticket 4567890",
        "error 404",
        "port 8080",
        "balance -150000",
        "serial C02XK0JHJG5J",
        "deadbeef",  # hex-looking word without digits
        "0x1F",  # too short to be an HRESULT
        "2016281112x",  # glued to letters: an identifier, not a number
    ],
)
def test_things_that_are_not_codes(text: str) -> None:
    assert find_codes(text) == [], find_codes(text)


def test_a_bare_number_that_may_be_hex_or_decimal_keeps_both_readings() -> None:
    (mention,) = find_codes("80180014")
    assert mention.candidates == (to_signed(0x80180014), -80180014)


def test_mentions_keep_the_text_as_written() -> None:
    (mention,) = find_codes("see 0x87d1fde8 here")
    assert mention == CodeMention("0x87d1fde8", 4, (DEVICE_NOT_SUPERVISED,))


@pytest.mark.parametrize(
    ("signed", "hex_"),
    [(DEVICE_NOT_SUPERVISED, "0x87D1FDE8"), (SYNC_TIMED_OUT, "0x87D13B6F"), (-1, "0xFFFFFFFF"), (20, "0x00000014")],
)
def test_hex_and_signed_round_trip(signed: int, hex_: str) -> None:
    assert to_hex(signed) == hex_
    assert to_signed(int(hex_, 16)) == signed


def test_to_signed_folds_the_unsigned_form() -> None:
    assert to_signed(2278686184) == DEVICE_NOT_SUPERVISED
    assert to_signed(5) == 5


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("app install status 60", 60),
        ("état 20 de l'application", 20),
        ("Windows app status code 110", 110),
        ("the MSI install failed with status 90", 90),
    ],
)
def test_windows_app_status_numbers_in_context(text: str, status: int) -> None:
    assert [m.app_status for m in find_codes(text)] == [status]


@pytest.mark.parametrize("text", ["error 60", "status 60", "iOS 17 app version 10", "install 20 apps", "état 60"])
def test_small_numbers_without_status_and_app_context_are_not_codes(text: str) -> None:
    assert all(m.app_status is None for m in find_codes(text))


def test_app_status_answered_exactly_and_unknown_status_falls_back_to_words(matcher: Matcher) -> None:
    result = matcher.lookup("app install status 60")
    assert [m.entry.code for m in result.matches] == [60] and result.matches[0].exact
    assert not matcher.lookup("app install status 65").unknown_codes
