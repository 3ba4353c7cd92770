"""Find error codes in what people type or paste, in every form Intune and its docs write them.

Intune shows a code as a signed 32-bit integer (-2016281112); logs and portals show it as hex
(0x87D1FDE8, or 87D1FDE8 bare); tools print it unsigned (2278686184); the sync doc drops the
sign (2016281112). Devices answer OMA-DM commands with ``SyncML(404)`` / ``DCMO(1400)``.
Every form comes back here as the signed code so the catalogue needs only one key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CodeMention", "find_codes", "to_hex", "to_signed"]

_U32 = 1 << 32
_I32_MIN = -(1 << 31)
# Unsigned decimals are read as codes only in the error HRESULT range 0x80000000-0xCFFFFFFF, and
# sign-dropped ones only when their negation is 0x80000000-0x88000000 (Windows, MDM and Intune
# facilities, 0x8007..., 0x8018..., 0x87D1...): most phone numbers fall outside both.
_UNSIGNED_MIN, _UNSIGNED_MAX = 0x80000000, 0xD0000000
_DROPPED_MIN = (1 << 31) - (1 << 27)

# Order matters: the first pattern that claims a span wins, so hex is tried before decimals.
_HEX = re.compile(r"(?<![0-9a-z])0x([0-9a-f]{1,8})(?![0-9a-z])", re.IGNORECASE)
# Bare hex must not be the first group of a GUID (8-4-4-4-12).
_BARE_HEX = re.compile(r"(?<![0-9a-z_-])([0-9a-f]{8})(?![0-9a-z_]|-[0-9a-f]{4}-)", re.IGNORECASE)
_DECIMAL = re.compile(r"(?<![0-9a-z.,/-])([-−–]\s?)?(\d{5,10})(?![0-9a-z]|[.,/:]\d)", re.IGNORECASE)
_SUBCODE = re.compile(r"(?<![a-z])(syncml|dcmo)\s*[(\[:#]?\s*(\d{3,4})\s*[)\]]?", re.IGNORECASE)
# Windows app status symbols (APP_CI_ENFORCEMENT_...) and Windows enrollment symbols (MDMRegistration.h).
_SYMBOL = re.compile(r"APP_CI_ENFORCEMENT_[A-Z_]+|(?<![A-Z_])M(?:ENROLL|REGISTER)_[ES]_[A-Z_]+", re.IGNORECASE)
_CODE_CHARS = re.compile(r"[\d_]")
# Windows app status numbers (10, 20 ... 130) are small and common, so they are read as codes only
# next to a status word and in a message about apps or installs ("app install status 60").
_APP_STATUS = re.compile(r"(?<![0-9a-z])(?:job status|status code|status|state|[ée]tat|statut|code)\s*(?:code\s*)?"
                         r"[:#=]?\s*(1[0-3]0|[1-9]0)(?![0-9a-z])", re.IGNORECASE)
_APP_CONTEXT = re.compile(r"(?<![a-z])(?:apps?|applications?|applis?|install\w*|d[ée]sinstall\w*|uninstall\w*|"
                          r"windows|win32|msi|appx|lob)(?![a-z])", re.IGNORECASE)


def to_hex(code: int) -> str:
    """The hex form of a signed code: its 32-bit two's complement, upper case."""
    return "0x%08X" % (code & 0xFFFFFFFF)


def to_signed(value: int) -> int:
    """Fold an unsigned 32-bit value into the signed range Intune reports."""
    value &= 0xFFFFFFFF
    return value - _U32 if value >= 1 << 31 else value


@dataclass(frozen=True, slots=True)
class CodeMention:
    """A code found in the text.

    ``candidates`` lists the signed codes the text could mean, most likely first (a bare
    ``80180014`` may be hex or decimal); ``subcode`` is set for ``SyncML(404)``-style mentions
    (normalised to ``syncml(404)`` / ``dcmo(1400)``), ``symbol`` for Windows app status and enrollment symbols and
    ``app_status`` for a Windows app status number named in context.
    """

    text: str
    start: int
    candidates: tuple[int, ...] = ()
    subcode: str | None = None
    symbol: str | None = None
    app_status: int | None = None


def _decimal_candidates(sign: str | None, digits: str) -> tuple[int, ...]:
    """Signed codes a decimal may stand for; () when it is not code-shaped (phone numbers, dates,
    amounts): only the error HRESULT range, 0x80000000-0xCFFFFFFF, in its three decimal forms."""
    value = int(digits)
    if sign:
        value = -value
        return (value,) if _I32_MIN <= value < _UNSIGNED_MAX - _U32 else ()  # same HRESULT range, signed
    if len(digits) < 9 or digits[0] == "0":
        return ()
    if _UNSIGNED_MIN <= value < _UNSIGNED_MAX:
        return (value - _U32,)  # unsigned form of an error HRESULT (0x8... to 0xC...)
    if _DROPPED_MIN <= value <= 1 << 31:
        return (-value,)  # the sign was dropped, as the sync doc writes its codes (0x8... once negated)
    return ()  # a phone number, an amount: not a code


def find_codes(text: str) -> list[CodeMention]:
    """Every code-shaped mention in ``text``, in reading order; overlapping forms are read once."""
    if not _CODE_CHARS.search(text):
        return []  # every form has a digit, but the status symbols (APP_CI_...): most questions have neither
    taken: list[tuple[int, int]] = []
    found: list[CodeMention] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _SYMBOL.finditer(text):
        taken.append(m.span())
        found.append(CodeMention(m.group(0), m.start(), symbol=m.group(0).upper().rstrip("_")))
    for m in _SUBCODE.finditer(text):
        if free(*m.span()):
            taken.append(m.span())
            found.append(CodeMention(m.group(0), m.start(), subcode=f"{m.group(1).lower()}({m.group(2)})"))
    for m in _HEX.finditer(text):
        if free(*m.span()) and len(m.group(1)) >= 6:
            taken.append(m.span())
            if int(m.group(1), 16) == 0:
                continue  # 0x00000000 is "the operation completed successfully" (S_OK) in every log line
            found.append(CodeMention(m.group(0), m.start(), (to_signed(int(m.group(1), 16)),)))
    for m in _BARE_HEX.finditer(text):
        digits = m.group(1)
        if not free(*m.span()):
            continue
        has_letter = any(c.isalpha() for c in digits)
        if has_letter and any(c.isdigit() for c in digits):
            taken.append(m.span())
            found.append(CodeMention(digits, m.start(), (to_signed(int(digits, 16)),)))
        elif digits[0] == "8":
            # 80180014: an HRESULT written without 0x, or a decimal; try hex first.
            taken.append(m.span())
            found.append(CodeMention(digits, m.start(), (to_signed(int(digits, 16)), -int(digits))))
    for m in _DECIMAL.finditer(text):
        if not free(*m.span()):
            continue
        candidates = _decimal_candidates(m.group(1), m.group(2))
        if candidates:
            taken.append(m.span())
            found.append(CodeMention(m.group(0).strip(), m.start(), candidates))
    if _APP_CONTEXT.search(text):
        for m in _APP_STATUS.finditer(text):
            if free(*m.span(1)):
                taken.append(m.span(1))
                found.append(CodeMention(m.group(1), m.start(1), app_status=int(m.group(1))))
    found.sort(key=lambda c: c.start)
    return found
