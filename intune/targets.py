"""Understand how people name a device in chat, in English and French.

"DESKTOP-42", "alice@contoso.com's iPhone", "the iPad of Bob", "l'iPad d'Alice", "mon iPhone", "le PC de Bob":
``parse_device_target`` splits such text into a user hint and a device hint, and ``device_matches`` tells whether a
device fits a hint ("iPhone", "téléphone", "Mac", a name or part of it). Plain functions, no framework.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from intune.errors import GraphNotFound
from intune.models import Device, User

if TYPE_CHECKING:
    from intune.graph_client import GraphClient

__all__ = ["device_matches", "fold", "loose_matches", "parse_device_target", "resolve_users"]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})

# Leading words that carry the request, not the target ("sync", "synchronise", "please"...), longest first.
_LEADING = re.compile(
    r"^(?:please|pls|can you|could you|force (?:a )?sync(?: of| on)?|sync(?:hroni[sz]e)?(?: now)?"
    r"|synchroni(?:se[rz]?|sez)(?: maintenant)?|lance(?:r)? une synchro(?:nisation)?(?: de| du| des)?"
    r"|s'il (?:te|vous) pla[iî]t|stp|svp|merci de|peux-tu|pouvez-vous)\b[\s,:]*",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"[\s,]+(?:please|pls|thanks|thank you|now|stp|svp|s'il (?:te|vous) pla[iî]t|merci|maintenant)$",
    re.IGNORECASE,
)
_ARTICLE = re.compile(
    r"^(?:(?:the|a|an|le|la|les|un|une|son|sa|ses|his|her|their)\s+|l'\s*)(?=\S)", re.IGNORECASE
)
_SELF = re.compile(r"^(?:my|mon|ma|mes)\s+(?P<dev>.+)$", re.IGNORECASE)
_EN_POSSESSIVE = re.compile(r"^(?P<user>.+?)'s\s+(?P<dev>.+)$", re.IGNORECASE)
_EN_OF = re.compile(
    r"^(?P<dev>.+?)\s+(?:of|for|belonging to|owned by|used by)\s+(?P<user>.+)$", re.IGNORECASE
)
_FR_DE = re.compile(
    r"^(?P<dev>.+?)\s+(?:appartenant à\s+|de\s+|d'\s*|du\s+|à\s+)(?P<user>.+)$", re.IGNORECASE
)
_FOR_USER = re.compile(r"^(?:(?:for|of|pour|de|du)\s+|d'\s*)(?P<user>\S.*)$", re.IGNORECASE)
_UPN = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")

_GENERIC_DEVICE_WORDS = frozenset(
    {
        "device",
        "devices",
        "appareil",
        "appareils",
        "machine",
        "machines",
        "terminal",
        "terminaux",
        "equipement",
        "equipements",
        "stuff",
        "things",
        "affaires",
    }
)
_SELF_WORDS = frozenset({"me", "moi", "myself", "mine", "i"})

# Words for kinds of device -> predicate on the folded operating system / model / name.
_PHONE_OS = {"ios", "android"}
_COMPUTER_OS = {"windows", "macos"}


def fold(text: str) -> str:
    """Case- and accent-insensitive form ("Chloé" -> "chloe"), apostrophes normalised."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _clean(text: str) -> str:
    text = " ".join(text.translate(_APOSTROPHES).split())
    return text.strip(' \t?!.;,:"«»“”')


def _strip_article(text: str) -> str:
    return _ARTICLE.sub("", text, count=1).strip()


def _device_hint(text: str) -> str | None:
    text = _strip_article(_clean(text))
    if not text or fold(text) in _GENERIC_DEVICE_WORDS:
        return None
    return text


def _user_hint(text: str) -> str | None:
    text = _clean(text)
    if not text or fold(text) in _SELF_WORDS:
        return None
    return text


def parse_device_target(text: str) -> tuple[str | None, str | None]:
    """Split a device reference into ``(user_hint, device_hint)``; either may be None.

    ``user_hint`` None means "the caller" (or nobody said); ``device_hint`` None means "all of that user's devices".
    """
    text = _clean(text)
    previous = None
    while previous != text:
        previous = text
        text = _LEADING.sub("", text, count=1).strip()
        text = _clean(_TRAILING.sub("", text, count=1))
    if not text:
        return None, None
    if fold(text) in _SELF_WORDS:
        return None, None
    if _UPN.match(text):
        return text, None

    match = _SELF.match(text)
    if match:
        return None, _device_hint(match.group("dev"))

    match = _FOR_USER.match(text)
    if match:
        return _user_hint(match.group("user")), None

    body = _strip_article(text)
    match = _EN_POSSESSIVE.match(body)
    if match:
        return _user_hint(match.group("user")), _device_hint(match.group("dev"))
    for pattern in (_EN_OF, _FR_DE):
        match = pattern.match(body)
        if match:
            return _user_hint(match.group("user")), _device_hint(match.group("dev"))
    return None, _device_hint(body)


def _kind_matches(word: str, device: Device) -> bool | None:
    """Whether ``device`` is of the kind ``word`` names; None when ``word`` is not a kind of device."""
    os_name = fold(device.operating_system)
    model = fold(device.model)
    is_tablet = os_name == "ipados" or "ipad" in model or "tab" in model
    if word in {"phone", "telephone", "smartphone", "mobile", "cellphone", "cell", "tel"}:
        return os_name in _PHONE_OS and not is_tablet
    if word in {"tablet", "tablette"}:
        return is_tablet
    if word in {
        "pc",
        "computer",
        "laptop",
        "desktop",
        "ordinateur",
        "ordi",
        "poste",
        "workstation",
        "notebook",
    }:
        return os_name in _COMPUTER_OS
    if word == "portable":  # French: a laptop or a mobile phone
        return (os_name in _COMPUTER_OS or os_name in _PHONE_OS) and not is_tablet
    if word in {"mac", "macbook"}:
        return os_name == "macos"
    if word in {"ipad"}:
        return is_tablet and os_name in {"ipados", "ios"}
    if word in {"iphone"}:
        return os_name == "ios" and not is_tablet
    if word in {"windows", "android", "ios", "ipados", "macos"}:
        return os_name == word or (word == "ios" and os_name == "ipados")
    return None


def device_matches(device: Device, hint: str | None) -> bool:
    """Does ``device`` fit what the user called it? Exact or partial name, model, brand or kind of device."""
    if not hint:
        return True
    wanted = fold(hint)
    name = fold(device.name)
    if wanted == name or (len(wanted) >= 3 and wanted in name):
        return True
    haystack = " ".join(
        fold(x) for x in (device.name, device.model, device.manufacturer, device.operating_system)
    )
    words = [w for w in re.split(r"[\s\-_]+", wanted) if w]
    if not words:
        return False
    for word in words:
        kind = _kind_matches(word, device)
        if kind is False:
            return False
        if kind is None and word not in haystack:
            return False
    return True


def loose_matches(devices: list[Device], hint: str | None) -> list[Device]:
    """Devices matching ``hint`` once the words that describe none of them are dropped ("mon ancien pc",
    "my work phone": "ancien" and "work" name no device, "pc" and "phone" do). Empty when nothing is left."""
    if not hint or any(c.isdigit() for c in hint) or "-" in hint.strip("-"):
        return []  # a device name ("DESKTOP-42QX7T1") is matched as written, never loosened
    words = [w for w in re.split(r"[\s\-_]+", fold(hint)) if w]
    kept = []
    for word in words:
        for device in devices:
            haystack = " ".join(fold(x) for x in (device.name, device.model, device.manufacturer,
                                                  device.operating_system))
            if _kind_matches(word, device) is not None or word in haystack:
                kept.append(word)
                break
    if not kept or len(kept) == len(words):
        return []
    return [d for d in devices if device_matches(d, " ".join(kept))]


async def resolve_users(graph: GraphClient, hint: str) -> list[User]:
    """Users a hint designates: a UPN exactly; else display names starting with it, where an exact
    name, first name or alias wins over mere prefixes. Shared by sync targets and troubleshooting."""
    if "@" in hint:
        try:
            return [await graph.get_user(hint)]
        except GraphNotFound:
            return []
    users = await graph.find_users(hint)
    wanted = fold(hint)
    exact = [
        u
        for u in users
        if wanted in {fold(u.display_name), fold(u.display_name.split(" ")[0]), fold(u.upn.split("@")[0])}
    ]
    return exact if len(exact) == 1 else (exact or users)
