#!/usr/bin/env python3
"""Build the error catalogue and the enrollment-failure data files from the source documents.

Why this exists: the YAML under ``knowledge/data/`` is the bot's source of truth, but it was first derived from
the Microsoft docs in ``../shared`` (French seeds and their English originals). Keeping the derivation as code
records where every row came from, checks that the English and French tables pair row for row, and lets us
re-run it when a source changes. Once generated, the YAML may be edited by hand; re-running overwrites it, so
compare with ``--out /tmp/x`` first.

Usage (from the repository root)::

    python tools/build_catalogue.py [--shared ../shared] [--out knowledge/data]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

DOC_ERRORS = "https://learn.microsoft.com/troubleshoot/mem/intune/general/troubleshoot-company-resource-access-problems"
DOC_SYNC = "https://learn.microsoft.com/mem/intune/remote-actions/device-sync"
DOC_HELPDESK = "https://learn.microsoft.com/mem/intune/fundamentals/help-desk-operators"

EN_ERRORS_TSV = "reference/intune-error-codes.en.tsv"
EN_SYNC_MD = "reference/sync-devices.en.md"
EN_ENROLL_TSV = "reference/help-desk-operators.enrollment-errors.en.tsv"

# English TSV section -> family; French seed 003 anchor -> family.
EN_SECTIONS = {
    "Status codes for MDM managed Windows devices": "windows-app-status",
    "Company resource access (common errors)": "company-access",
    "Errors returned by iOS/iPadOS devices / Company Portal errors": "company-portal",
    "Errors returned by iOS/iPadOS devices / Service errors": "ios-service",
    "OMA response codes": "oma",
}
FR_ANCHORS = {
    "status-codes-for-mdm-managed-windows-devices": "windows-app-status",
    "company-resource-access-common-errors": "company-access",
    "company-portal-errors": "company-portal",
    "service-errors": "ios-service",
    "oma-response-codes": "oma",
}
# Order of the doc (seed 003 tables), then the sync doc.
DOC_TABLES = ["windows-app-status", "company-access", "company-portal", "ios-service", "oma"]

SUBCODE_RE = re.compile(r"^(?P<sub>\d+|Syncml\(\d+\)|DCMO\(\d+\)|\(\d+\))\s*:\s*(?P<msg>.*)$", re.S)
WIN_STATUS_RE = re.compile(r"^(?P<num>\d+|No status|Aucun état) \((?P<sym>APP_CI_ENFORCEMENT_\w+)\)$")
ANCHOR_RE = re.compile(r'<a name="([^"]+)"></a>')

# The doc gives no text for these sub-codes (29001, 29002, in English and French): say so rather than leave it empty.
NO_TEXT = {"en": "(no description in the documentation)", "fr": "(aucune description dans la documentation)"}
# The Windows "No status" row has "n/a" as its message; its first column is the useful name.
NO_STATUS_MESSAGE = {"en": "No status", "fr": "Aucun état"}

FAMILIES: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "company-access": {
            "title": "Company resource access error",
            "advice": (
                "Intune reported this while applying a policy, a certificate profile or an app to the device. "
                "Sync the device (Company Portal or the Intune admin center), then check the assignment and "
                "the per-device status of the policy or app in the admin center. If it keeps failing, check "
                "the related configuration (for example the certificate connector or NDES for certificate "
                "profiles) and escalate with the device name and the time of the error."
            ),
        },
        "ios-service": {
            "title": "iOS/iPadOS device error",
            "advice": (
                "The iPhone or iPad refused a profile, payload or command sent by Intune; the number before the "
                "message is Apple's own error code. Sync the device, then check the profile or app assigned to "
                "it (settings, certificates, credentials) and that the device meets its requirements, for "
                "example supervised, unlocked or with a passcode set. If it still fails, remove and reassign the "
                "profile, and re-enroll the device as a last resort."
            ),
        },
        "oma": {
            "title": "OMA-DM / SyncML response code",
            "advice": (
                "This is the device's MDM client answering a management command sent by Intune (a SyncML "
                "status, a DCMO device-capability status or a certificate operation); 200-series codes are not "
                "failures. Sync the device, then check the configuration profile or policy assigned to it: an "
                "unsupported or misspelled setting, an OS edition or version that lacks the setting, or two "
                "conflicting profiles are the usual causes. If it persists, collect the device's MDM "
                "diagnostics and consider re-enrolling it."
            ),
        },
        "windows-app-status": {
            "title": "Windows app installation status",
            "advice": (
                "This is the state of an app deployment on a Windows device managed by MDM. In-progress states "
                "clear on their own: keep the device online and sync it. For an error state, check the "
                "device's connection and free space, check the app package and its assignment in Intune, and "
                "retry the installation from the Company Portal."
            ),
        },
        "company-portal": {
            "title": "Company Portal error (iOS/iPadOS)",
            "advice": (
                "The Company Portal app on the iPhone or iPad could not reach Intune. Ask the user to check the "
                "network connection and retry in a few minutes: errors in the 500s come from the Intune "
                "service and usually clear by themselves. If it lasts, check the service health in the Intune "
                "admin center and ask the user to send the Company Portal logs."
            ),
        },
        "sync": {
            "title": "App sync error (iOS/iPadOS and Android)",
            "advice": (
                "An app failed on the device during a sync with Intune, mostly because of the network. Check "
                "that the device is online (Wi-Fi or mobile data, roaming allowed, no call in progress) and run "
                "a sync again: apps that failed with a retryable code are retried when a sync is run. Apps that "
                "failed with a non-retryable code must wait seven days before they are available on the device "
                "again."
            ),
        },
    },
    "fr": {
        "company-access": {
            "title": "Erreur d’accès aux ressources d’entreprise",
            "advice": (
                "Intune a signalé cette erreur en appliquant une stratégie, un profil de certificat ou une "
                "application à l’appareil. Synchronisez l’appareil (Portail d’entreprise ou centre "
                "d’administration Intune), puis vérifiez l’affectation et l’état par appareil de la stratégie "
                "ou de l’application dans le centre d’administration. Si l’échec persiste, vérifiez la "
                "configuration associée (par exemple le connecteur de certificats ou NDES pour les profils de "
                "certificat) et escaladez en indiquant le nom de l’appareil et l’heure de l’erreur."
            ),
        },
        "ios-service": {
            "title": "Erreur d’appareil iOS/iPadOS",
            "advice": (
                "L’iPhone ou l’iPad a refusé un profil, une charge utile ou une commande envoyés par Intune ; "
                "le nombre placé avant le message est le code d’erreur d’Apple. Synchronisez l’appareil, puis "
                "vérifiez le profil ou l’application en cause (paramètres, certificats, identifiants) "
                "et que l’appareil en remplit les conditions : supervisé, déverrouillé ou protégé par un code "
                "secret, par exemple. Si l’échec persiste, retirez puis réaffectez le profil et, en dernier "
                "recours, réinscrivez l’appareil."
            ),
        },
        "oma": {
            "title": "Code de réponse OMA-DM / SyncML",
            "advice": (
                "C’est la réponse du client MDM de l’appareil à une commande de gestion envoyée par Intune "
                "(état SyncML, état DCMO d’une fonctionnalité de l’appareil ou opération sur un certificat) ; "
                "les codes de la série 200 ne sont pas des échecs. Synchronisez l’appareil, puis vérifiez les "
                "profils de configuration et stratégies qui lui sont affectés : un paramètre non pris en charge "
                "ou mal saisi, une édition ou version du système qui ne le connaît pas, ou deux profils en "
                "conflit en sont les causes habituelles. Si le problème persiste, recueillez les diagnostics "
                "MDM de l’appareil et envisagez de le réinscrire."
            ),
        },
        "windows-app-status": {
            "title": "État d’installation d’une application Windows",
            "advice": (
                "C’est l’état du déploiement d’une application sur un appareil Windows géré par MDM. Les états "
                "« en cours » se résolvent d’eux-mêmes : laissez l’appareil connecté et synchronisez-le. Pour "
                "un état d’erreur, vérifiez la connexion et l’espace libre de l’appareil, le package de "
                "l’application et son affectation dans Intune, puis relancez l’installation depuis le Portail "
                "d’entreprise."
            ),
        },
        "company-portal": {
            "title": "Erreur du Portail d’entreprise (iOS/iPadOS)",
            "advice": (
                "L’application Portail d’entreprise de l’iPhone ou de l’iPad n’a pas pu joindre Intune. "
                "Demandez à l’utilisateur de vérifier sa connexion réseau et de réessayer dans quelques "
                "minutes : les erreurs de la série 500 viennent du service Intune et disparaissent en général "
                "d’elles-mêmes. Si cela dure, consultez l’état du service dans le centre d’administration "
                "Intune et demandez à l’utilisateur d’envoyer les journaux du Portail d’entreprise."
            ),
        },
        "sync": {
            "title": "Erreur de synchronisation d’application (iOS/iPadOS et Android)",
            "advice": (
                "Une application a échoué sur l’appareil pendant une synchronisation avec Intune, le plus "
                "souvent à cause du réseau. Vérifiez que l’appareil est connecté (Wi-Fi ou données mobiles, "
                "itinérance autorisée, pas d’appel en cours) et relancez une synchronisation : une nouvelle "
                "tentative a lieu à chaque synchronisation pour les applications qui ont échoué avec un code "
                "pouvant faire l’objet d’une nouvelle tentative. Celles qui ont échoué avec un code ne le "
                "permettant pas doivent attendre sept jours avant d’être de nouveau disponibles sur l’appareil."
            ),
        },
    },
}

# Remediation for the enrollment failures, keyed by the slug of the English name: our own words.
REMEDIATION: dict[str, dict[str, str]] = {
    "ios-ipados-timeout-or-failure": {
        "en": "Ask the user to start the enrollment again from the Company Portal and finish every step without "
        "pausing, including installing the management profile in Settings, on a stable network connection.",
        "fr": "Demandez à l’utilisateur de relancer l’inscription depuis le Portail d’entreprise et d’en terminer "
        "toutes les étapes sans pause, y compris l’installation du profil de gestion dans Réglages, avec une "
        "connexion réseau stable.",
    },
    "user-not-found-or-licensed": {
        "en": "Check that the user account exists, is enabled and has an Intune license assigned (Microsoft 365 "
        "admin center or Microsoft Entra ID); assign the license, then have the user retry the enrollment.",
        "fr": "Vérifiez que le compte de l’utilisateur existe, est activé et dispose d’une licence Intune (centre "
        "d’administration Microsoft 365 ou Microsoft Entra ID) ; attribuez la licence, puis faites relancer "
        "l’inscription.",
    },
    "device-already-enrolled": {
        "en": "The device is still enrolled for another user. Retire or wipe it (or have the previous user remove "
        "it from the Company Portal), delete its old record in Intune, then enroll it again with the new user.",
        "fr": "L’appareil est encore inscrit pour un autre utilisateur. Mettez-le hors service ou réinitialisez-le "
        "(ou demandez à l’ancien utilisateur de le supprimer du Portail d’entreprise), supprimez l’ancien "
        "enregistrement dans Intune, puis réinscrivez-le avec le nouvel utilisateur.",
    },
    "not-onboarded-into-intune": {
        "en": "The tenant has no MDM authority yet. An Intune administrator must set the MDM authority to Intune "
        "in the Intune admin center; then the user can enroll again.",
        "fr": "Le locataire n’a pas encore d’autorité MDM. Un administrateur Intune doit définir Intune comme "
        "autorité MDM dans le centre d’administration Intune ; l’utilisateur peut ensuite se réinscrire.",
    },
    "enrollment-authorization-failed": {
        "en": "The Company Portal app on the device is too old. Have the user update it to the latest version "
        "from the app store, then retry the enrollment.",
        "fr": "L’application Portail d’entreprise de l’appareil est trop ancienne. Faites-la mettre à jour vers la "
        "dernière version depuis le magasin d’applications, puis relancez l’inscription.",
    },
    "device-not-supported": {
        "en": "Compare the device model and operating system version with the Intune supported operating "
        "systems; update the operating system if possible, otherwise this device cannot be enrolled.",
        "fr": "Comparez le modèle et la version du système d’exploitation avec les systèmes pris en charge par "
        "Intune ; mettez à jour le système si possible, sinon cet appareil ne peut pas être inscrit.",
    },
    "enrollment-restrictions-not-met": {
        "en": "Review the enrollment restrictions (platform and device limit) assigned to the user in the Intune "
        "admin center to see which one blocked the device; adjust the restriction or its assignment if the "
        "device should be allowed.",
        "fr": "Examinez les restrictions d’inscription (plateforme et limite d’appareils) affectées à "
        "l’utilisateur dans le centre d’administration Intune pour voir laquelle a bloqué l’appareil ; "
        "ajustez la restriction ou son affectation si l’appareil doit être autorisé.",
    },
    "device-version-too-low": {
        "en": "Update the device's operating system to at least the minimum version set in the platform "
        "restriction, then retry; an administrator can lower the minimum if the older version is acceptable.",
        "fr": "Mettez à jour le système d’exploitation de l’appareil au moins vers la version minimale définie "
        "dans la restriction de plateforme, puis réessayez ; un administrateur peut abaisser ce minimum si "
        "l’ancienne version est acceptable.",
    },
    "device-version-too-high": {
        "en": "The operating system is newer than the maximum version allowed by the platform restriction. An "
        "administrator can raise or remove that maximum; until then the device cannot enroll.",
        "fr": "Le système d’exploitation est plus récent que la version maximale autorisée par la restriction "
        "de plateforme. Un administrateur peut relever ou supprimer ce maximum ; d’ici là, l’appareil ne peut "
        "pas s’inscrire.",
    },
    "device-cannot-be-enrolled-as-personal": {
        "en": "Personal devices of this platform are blocked. Declare the device as corporate (add its IMEI or "
        "serial number as a corporate device identifier, or use a corporate enrollment method such as "
        "Automated Device Enrollment or Autopilot), or allow personally owned devices in the restriction.",
        "fr": "Les appareils personnels de cette plateforme sont bloqués. Déclarez l’appareil comme appareil "
        "d’entreprise (ajoutez son IMEI ou son numéro de série aux identificateurs d’appareils d’entreprise, ou "
        "utilisez une méthode d’inscription d’entreprise comme l’inscription automatisée des appareils ou "
        "Autopilot), ou autorisez les appareils personnels dans la restriction.",
    },
    "device-platform-blocked": {
        "en": "The platform restriction blocks this type of device. If the user should be able to enroll it, an "
        "administrator must allow the platform in the restriction assigned to the user; otherwise explain the "
        "company policy.",
        "fr": "La restriction de plateforme bloque ce type d’appareil. Si l’utilisateur doit pouvoir l’inscrire, "
        "un administrateur doit autoriser la plateforme dans la restriction qui lui est affectée ; sinon, "
        "expliquez la règle de l’entreprise.",
    },
    "bulk-token-expired": {
        "en": "Create a new provisioning package with Windows Configuration Designer, which fetches a new bulk "
        "enrollment token, and apply it to the device again.",
        "fr": "Créez un nouveau package de provisionnement avec Windows Configuration Designer, qui obtient un "
        "nouveau jeton d’inscription en bloc, et appliquez-le de nouveau à l’appareil.",
    },
    "autopilot-device-or-details-not-found": {
        "en": "Check that the device's hardware hash is imported in Windows Autopilot devices in Intune; import "
        "it (or have the reseller register it), sync Autopilot devices, then restart the setup.",
        "fr": "Vérifiez que le hachage matériel de l’appareil est importé dans les appareils Windows Autopilot "
        "d’Intune ; importez-le (ou faites-le enregistrer par le revendeur), synchronisez les appareils "
        "Autopilot, puis relancez l’installation.",
    },
    "autopilot-profile-not-found-or-not-assigned": {
        "en": "Assign an Autopilot deployment profile to a group that contains the device and wait until the "
        "device shows the profile as assigned, then reset the device and start the setup again.",
        "fr": "Affectez un profil de déploiement Autopilot à un groupe contenant l’appareil et attendez que "
        "l’appareil affiche le profil comme affecté, puis réinitialisez l’appareil et relancez l’installation.",
    },
    "autopilot-enrollment-method-unexpected": {
        "en": "Check that the device enrolls the way its Autopilot deployment profile expects (for example "
        "during the out-of-box experience rather than from Settings, in the profile's deployment mode), then "
        "reset it and start again.",
        "fr": "Vérifiez que l’appareil s’inscrit comme l’attend son profil de déploiement Autopilot (par exemple "
        "pendant l’expérience d’installation initiale plutôt que depuis les Paramètres, dans le mode de "
        "déploiement du profil), puis réinitialisez-le et recommencez.",
    },
    "autopilot-device-removed": {
        "en": "The device was deleted from Windows Autopilot. If it should still be provisioned with Autopilot, "
        "import its hardware hash again and assign a profile; otherwise enroll it another way.",
        "fr": "L’appareil a été supprimé de Windows Autopilot. S’il doit encore être provisionné avec Autopilot, "
        "importez de nouveau son hachage matériel et affectez-lui un profil ; sinon, inscrivez-le autrement.",
    },
    "device-cap-reached": {
        "en": "The user has reached the device limit. Remove old or unused devices of this user from Intune (and "
        "Microsoft Entra ID), or raise the limit in the device limit restriction.",
        "fr": "L’utilisateur a atteint sa limite d’appareils. Supprimez ses appareils anciens ou inutilisés "
        "d’Intune (et de Microsoft Entra ID), ou relevez la limite dans la restriction de limite d’appareils.",
    },
    "apple-onboarding": {
        "en": "The Apple MDM push certificate is missing or expired. An Intune administrator must create or renew "
        "it in the Intune admin center, renewing with the same Apple ID that created it; a certificate from "
        "another Apple ID forces every Apple device to re-enroll.",
        "fr": "Le certificat Push MDM Apple est absent ou expiré. Un administrateur Intune doit le créer ou le "
        "renouveler dans le centre d’administration Intune, avec le même identifiant Apple que celui qui l’a "
        "créé ; un certificat d’un autre identifiant Apple oblige à réinscrire tous les appareils Apple.",
    },
    "device-not-preregistered": {
        "en": "Personal enrollments are blocked and the device is not known as corporate. Add its IMEI or serial "
        "number as a corporate device identifier, or enroll it with a corporate method (Automated Device "
        "Enrollment, Autopilot, Android Enterprise fully managed), then retry.",
        "fr": "Les inscriptions personnelles sont bloquées et l’appareil n’est pas connu comme appareil "
        "d’entreprise. Ajoutez son IMEI ou son numéro de série aux identificateurs d’appareils d’entreprise, ou "
        "inscrivez-le avec une méthode d’entreprise (inscription automatisée des appareils, Autopilot, Android "
        "Enterprise entièrement géré), puis réessayez.",
    },
    "feature-not-supported": {
        "en": "Ask the user which enrollment method they used and point them to the one your Intune setup "
        "supports for their platform (usually the Company Portal app); check that this method is configured "
        "in Intune.",
        "fr": "Demandez à l’utilisateur quelle méthode d’inscription il a utilisée et orientez-le vers celle que "
        "votre configuration Intune prend en charge pour sa plateforme (en général l’application Portail "
        "d’entreprise) ; vérifiez que cette méthode est configurée dans Intune.",
    },
}


@dataclass
class Row:
    """One table row of one language, with where it came from."""

    family: str
    first: str  # the doc's first column (code, Windows status, or '' for Company Portal rows)
    message: str
    line: int
    hex_cell: str = ""
    what_to_do: str = ""
    http: str = ""


class Problems:
    """Collects source rows that do not pair or look wrong, to report instead of silently fixing."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        self.items.append(text)


def hex_of(code: int) -> str:
    """The hex Intune shows for a signed code: its 32-bit two's complement."""
    return "0x%08X" % (code & 0xFFFFFFFF)


def clean(text: str, *, paragraphs: bool = False) -> str:
    """Remove markdown markup (bold, <br>, zero-width spaces) and keep the words."""
    text = text.replace("\u200b", "")
    text = re.sub(r"__(.+?)__", r"\1", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    parts = [p.strip() for p in re.split(r"<br\s*/?>", text)]
    parts = [re.sub(r"\s+", " ", p) for p in parts if p]
    return ("\n\n" if paragraphs else " ").join(parts)


def split_subcode(message: str) -> tuple[str | None, str]:
    """Split a prefix such as '12020 : ' or 'Syncml(404): ' off a message."""
    m = SUBCODE_RE.match(message)
    if not m:
        return None, message
    return m.group("sub"), m.group("msg").strip()


def md_cells(line: str) -> list[str]:
    """Cells of a markdown table row."""
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") else line
    return [c.strip() for c in line.split("|")]


def md_tables(path: Path) -> list[tuple[str, int, list[str]]]:
    """Every body row of every markdown table as (current anchor, 1-based line, cells)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rows: list[tuple[str, int, list[str]]] = []
    anchor = ""
    for i, line in enumerate(lines):
        if line.startswith("#"):
            m = ANCHOR_RE.search(line)
            anchor = m.group(1) if m else re.sub(r"\W+", "-", line.strip("# ").lower()).strip("-")
            continue
        if not line.startswith("|") or re.match(r"^\|[\s|:-]+\|?$", line):
            continue
        if i + 1 < len(lines) and re.match(r"^\|[\s|:-]+\|?$", lines[i + 1]):
            continue  # header row
        rows.append((anchor, i + 1, md_cells(line)))
    return rows


def seed(shared: Path, number: str) -> Path:
    """The seed file whose name starts with the given number."""
    (path,) = sorted((shared / "seeds").glob(f"{number}_*.txt"))
    return path


def read_tsv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a TSV with '#' comment lines and a header, with their 1-based file line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [(i + 1, line) for i, line in enumerate(lines) if line and not line.startswith("#")]
    header = body[0][1].split("\t")
    rows = []
    for lineno, line in body[1:]:
        (cells,) = csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE)
        rows.append((lineno, dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))))
    return rows


def read_en_error_rows(shared: Path) -> list[Row]:
    """The English error tables (reference TSV)."""
    out = []
    for _, r in read_tsv(shared / EN_ERRORS_TSV):
        out.append(
            Row(
                family=EN_SECTIONS[r["section"]],
                first=r["status_code"],
                message=r["message"],
                line=int(r["md_line"]),
                hex_cell=r["hex"],
                what_to_do=r["what_to_do"] or r["additional_info"],
                http=r["http_status"],
            )
        )
    return out


def read_fr_error_rows(shared: Path) -> list[Row]:
    """The French error tables (seed 003)."""
    out = []
    for anchor, line, cells in md_tables(seed(shared, "003")):
        family = FR_ANCHORS[anchor]
        if family == "windows-app-status":
            out.append(Row(family, cells[0], cells[1], line, what_to_do=cells[2]))
        elif family == "company-portal":
            out.append(Row(family, "", cells[0], line, http=cells[1], what_to_do=cells[2]))
        else:
            out.append(Row(family, cells[0], cells[2], line, hex_cell=cells[1]))
    return out


def http_status(cell: str) -> int | None:
    """'500 error' / 'Erreur 500' -> 500; 'Not associated with an HTTP status code' -> None."""
    m = re.search(r"\b(\d{3})\b", cell)
    return int(m.group(1)) if m else None


def slug(text: str) -> str:
    """A readable id from an English name."""
    text = text.lower().replace("can't", "cannot").replace("’", "'")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def source_of(fr_line: int, en_line: int) -> str:
    """Provenance of an error-code row."""
    return f"seed 003 (fr) line {fr_line}; {EN_ERRORS_TSV} md_line {en_line}"


def pair_rows(en: list[Row], fr: list[Row], problems: Problems) -> list[tuple[Row, Row]]:
    """Pair EN and FR rows: coded rows by code, Windows rows by status number, portal rows by order."""
    pairs: list[tuple[Row, Row]] = []
    for family in DOC_TABLES:
        e_rows = [r for r in en if r.family == family]
        f_rows = [r for r in fr if r.family == family]
        if family == "company-portal":
            if len(e_rows) != len(f_rows):
                problems.add(f"{family}: {len(e_rows)} English rows vs {len(f_rows)} French rows")
            for e, f in zip(e_rows, f_rows, strict=False):
                if http_status(e.http) != http_status(f.http):
                    problems.add(f"{family}: HTTP status differs: EN md_line {e.line} vs FR line {f.line}")
                pairs.append((e, f))
            continue

        def key(r: Row) -> str:
            m = WIN_STATUS_RE.match(r.first)
            if m:
                return "none" if not m.group("num").isdigit() else m.group("num")
            return r.first

        e_by = {key(r): r for r in e_rows}
        f_by = {key(r): r for r in f_rows}
        if len(e_by) != len(e_rows) or len(f_by) != len(f_rows):
            problems.add(f"{family}: duplicate codes in a table")
        for k, e in e_by.items():
            if k in f_by:
                pairs.append((e, f_by[k]))
            else:
                problems.add(f"{family}: {k} (EN md_line {e.line}) has no French row")
        for k, f in f_by.items():
            if k not in e_by:
                problems.add(f"{family}: {k} (FR line {f.line}) has no English row")
        if [key(r) for r in e_rows] != [key(r) for r in f_rows]:
            problems.add(f"{family}: rows are not in the same order in English and French")
    return pairs


def build_errors(shared: Path, problems: Problems) -> tuple[list[dict[str, Any]], dict[str, dict], list[str]]:
    """Neutral entries, per-language entries and the hex disagreements, from seed 003 + TSV + sync docs."""
    neutral: list[dict[str, Any]] = []
    texts: dict[str, dict[str, dict[str, str]]] = {"en": {}, "fr": {}}
    bad_hex: list[str] = []

    def add(item: dict[str, Any], en_text: dict[str, str], fr_text: dict[str, str]) -> None:
        for lang, t in (("en", en_text), ("fr", fr_text)):
            if item["id"] in texts[lang]:
                problems.add(f"duplicate id {item['id']}")
            texts[lang][item["id"]] = {k: v for k, v in t.items() if v}
        neutral.append(item)

    for e, f in pair_rows(read_en_error_rows(shared), read_fr_error_rows(shared), problems):
        item: dict[str, Any] = {
            "id": "",
            "code": None,
            "family": e.family,
            "subcode": None,
            "symbol": None,
            "http_status": None,
            "retryable": None,
            "source": source_of(f.line, e.line),
            "doc": DOC_ERRORS,
        }
        if e.family == "windows-app-status":
            me, mf = WIN_STATUS_RE.match(e.first), WIN_STATUS_RE.match(f.first)
            assert me and mf, (e.first, f.first)
            if me.group("sym") != mf.group("sym"):
                problems.add(f"Windows status {e.first}: symbol differs from French {f.first}")
            item["symbol"] = me.group("sym")
            if me.group("num").isdigit():
                item["id"], item["code"] = me.group("num"), int(me.group("num"))
                en_msg, fr_msg = clean(e.message), clean(f.message)
            else:
                item["id"] = "win-app-status-unknown"
                en_msg, fr_msg = NO_STATUS_MESSAGE["en"], NO_STATUS_MESSAGE["fr"]
            add(
                item,
                {"message": en_msg, "what_to_do": clean(e.what_to_do, paragraphs=True)},
                {"message": fr_msg, "what_to_do": clean(f.what_to_do, paragraphs=True)},
            )
            continue
        if e.family == "company-portal":
            item["http_status"] = http_status(e.http)
            title = re.match(r"__(.+?)__", e.message)
            assert title, e.message
            status = item["http_status"]
            item["id"] = "company-portal-" + (f"{status}-" if status else "") + slug(title.group(1))
            en_msg, fr_msg = (re.sub(r"__(.+?)__\s*<br\s*/?>\s*", r"\1. ", m) for m in (e.message, f.message))
            add(
                item,
                {"message": clean(en_msg), "what_to_do": clean(e.what_to_do, paragraphs=True)},
                {"message": clean(fr_msg), "what_to_do": clean(f.what_to_do, paragraphs=True)},
            )
            continue
        code = int(e.first)
        item["id"], item["code"] = str(code), code
        for r, lang in ((e, "EN"), (f, "FR")):
            if r.hex_cell != hex_of(code):
                cell = repr(r.hex_cell) if r.hex_cell else "empty"
                note = f"{code}: {lang} doc cell {cell}, computed {hex_of(code)}"
                if lang == "EN":
                    bad_hex.append(f"{code}: documented {cell}, computed {hex_of(code)}")
                elif e.hex_cell != f.hex_cell:
                    problems.add(f"hex cell differs between EN and FR for {code}: {note}")
        sub_e, msg_e = split_subcode(clean(e.message))
        sub_f, msg_f = split_subcode(clean(f.message))
        if sub_e != sub_f:
            problems.add(f"{code}: sub-code differs: EN {sub_e!r} vs FR {sub_f!r}")
        item["subcode"] = sub_e
        if not msg_e or not msg_f:
            problems.add(f"{code}: the doc gives no message (EN {msg_e!r}, FR {msg_f!r}); placeholder used")
        add(item, {"message": msg_e or NO_TEXT["en"]}, {"message": msg_f or NO_TEXT["fr"]})

    coded = {i["code"] for i in neutral if i["code"] is not None and i["family"] != "windows-app-status"}
    for item, en_text, fr_text in build_sync(shared, problems):
        if item["code"] in coded:
            problems.add(f"sync code {item['code']} is also in seed 003")
        add(item, en_text, fr_text)
    return neutral, texts, bad_hex


def sync_rows(path: Path) -> dict[int, tuple[int, str, bool]]:
    """Code (as Intune reports it, negative) -> (line, message, retryable) from a sync doc's table."""
    out = {}
    for _, line, cells in md_tables(path):
        if len(cells) == 3 and cells[0].isdigit():
            out[-int(cells[0])] = (line, cells[1], cells[2].lower() in ("yes", "oui"))
    return out


def build_sync(
    shared: Path, problems: Problems
) -> list[tuple[dict[str, Any], dict[str, str], dict[str, str]]]:
    """Sync codes: French seed 000, English seed 001 (older) and reference (newest)."""
    fr, en_old, en = (
        sync_rows(seed(shared, "000")),
        sync_rows(seed(shared, "001")),
        sync_rows(shared / EN_SYNC_MD),
    )
    if not (fr.keys() == en_old.keys() == en.keys()):
        problems.add("sync: the three docs list different codes")
    out = []
    for code in en:
        line, msg, retry = en[code]
        if code in en_old and en_old[code][1:] != (msg, retry):
            problems.add(f"sync {code}: seed 001 differs from the newest English doc")
        if code not in fr:
            continue
        if fr[code][2] != retry:
            problems.add(f"sync {code}: retryable differs between French and English")
        item = {
            "id": str(code),
            "code": code,
            "family": "sync",
            "subcode": None,
            "symbol": None,
            "http_status": None,
            "retryable": retry,
            "source": f"seed 000 (fr) line {fr[code][0]}; seed 001 (en) line {en_old.get(code, (0,))[0]}; "
            f"{EN_SYNC_MD} line {line}",
            "doc": DOC_SYNC,
        }
        out.append((item, {"message": msg}, {"message": fr[code][1]}))
    return out


def build_enrollment(shared: Path, problems: Problems) -> tuple[list[dict[str, Any]], dict[str, dict]]:
    """Enrollment failures: seed 004 (French) paired by order with the English TSV."""
    en = read_tsv(shared / EN_ENROLL_TSV)
    fr = [(line, c) for anchor, line, c in md_tables(seed(shared, "004")) if anchor == "enrollment-errors"]
    if len(en) != len(fr):
        problems.add(f"enrollment: {len(en)} English rows vs {len(fr)} French rows")
    neutral: list[dict[str, Any]] = []
    texts: dict[str, dict[str, dict[str, str]]] = {"en": {}, "fr": {}}
    for (en_line, e), (fr_line, f) in zip(en, fr, strict=False):
        name = re.sub(r"\s{2,}", " ", e["error"]).strip()
        ident = slug(name)
        if ident not in REMEDIATION:
            problems.add(f"enrollment {ident}: no remediation written")
            continue
        neutral.append(
            {
                "id": ident,
                "source": f"seed 004 (fr) line {fr_line}; {EN_ENROLL_TSV} line {en_line}",
                "doc": DOC_HELPDESK,
            }
        )
        texts["en"][ident] = {"name": name, "details": e["details"], "remediation": REMEDIATION[ident]["en"]}
        texts["fr"][ident] = {"name": f[0], "details": f[1], "remediation": REMEDIATION[ident]["fr"]}
    return neutral, texts


class Dumper(yaml.SafeDumper):
    """Block style, list items indented under their key, multi-line strings as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


Dumper.add_representer(str, _str)


def write(path: Path, header: str, data: dict[str, Any]) -> None:
    """Write one YAML file with a comment header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.dump(
        data, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False
    )
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.strip().splitlines())
    path.write_text(comment + body, encoding="utf-8")
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == data, path


def tsv_provenance(shared: Path) -> str:
    """The first header line of the English error TSV (repository and commit of the original)."""
    first = (shared / EN_ERRORS_TSV).read_text(encoding="utf-8").splitlines()[0]
    return re.sub(r"\s+", " ", first.lstrip("# ").removeprefix("source:")).strip()


def main(argv: list[str] | None = None) -> int:
    """Generate the six files; print the rows that did not pair or looked wrong."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "knowledge" / "data")
    args = ap.parse_args(argv)
    shared, out = args.shared, args.out
    problems = Problems()

    errors, error_texts, bad_hex = build_errors(shared, problems)
    enrollment, enrollment_texts = build_enrollment(shared, problems)

    generated = "Generated by tools/build_catalogue.py, then the source of truth (hand edits allowed)."
    err_sources = (
        f"Sources: seed 003 (fr, {seed(shared, '003').name}); {EN_ERRORS_TSV} ({tsv_provenance(shared)});\n"
        f"sync codes: seed 000 (fr, {seed(shared, '000').name}), seed 001 (en, {seed(shared, '001').name}),\n"
        f"{EN_SYNC_MD}. The sync docs write the codes positive; Intune reports them negative.\n"
    )
    hex_note = (
        "The hex is not stored: it is computed as '0x%08X' % (code & 0xFFFFFFFF).\n"
        "Documented hex cells that disagree (same cells in the English and French docs):\n"
        + "".join(f"  {n}\n" for n in bad_hex)
    )
    write(
        out / "errors.yaml",
        f"Error catalogue: language-neutral facts (see knowledge/DATA.md).\n{generated}\n"
        f"{err_sources}{hex_note}",
        {"entries": errors},
    )
    for lang in ("en", "fr"):
        write(
            out / lang / "errors.yaml",
            f"Error catalogue, {'English' if lang == 'en' else 'French'} texts, keyed by error id.\n{generated}\n"
            f"{err_sources}Messages as the docs word them (markup and sub-code prefix removed); what_to_do only "
            "where the doc has it;\nfamily advice is ours.",
            {"language": lang, "families": FAMILIES[lang], "entries": error_texts[lang]},
        )
    enr_sources = (
        f"Sources: seed 004 (fr, {seed(shared, '004').name}) section 'Erreurs d’inscription';\n"
        f"{EN_ENROLL_TSV}. Names and details as the docs write them; remediation is ours."
    )
    write(
        out / "enrollment.yaml",
        f"Enrollment failures of the troubleshooting pane: neutral facts.\n{generated}\n{enr_sources}",
        {"entries": enrollment},
    )
    for lang in ("en", "fr"):
        write(
            out / lang / "enrollment.yaml",
            f"Enrollment failures, {'English' if lang == 'en' else 'French'} texts, keyed by id.\n{generated}\n"
            f"{enr_sources}",
            {"language": lang, "entries": enrollment_texts[lang]},
        )

    by_family: dict[str, int] = {}
    for item in errors:
        by_family[item["family"]] = by_family.get(item["family"], 0) + 1
    print(f"errors: {len(errors)} {by_family}; enrollment: {len(enrollment)}")
    for p in problems.items:
        print("note:", p, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
