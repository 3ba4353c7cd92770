"""Command line: `python -m bot [serve | chat | lookup | audit | manifest]` (serve is the default).

A thin shell: each command calls into the same modules the bot uses.
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Intune helpdesk bot for Microsoft Teams.")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve the bot on PORT (default 3978); the default command")

    chat = sub.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--lang", choices=("en", "fr"), default=None,
                      help="language for this run, whatever an earlier run saved (default: the saved one, or en)")
    chat.add_argument("--as", dest="as_user", default="alice",
                      help="demo tenant user to act as: alice, bob, chloe, david, emma, farid, grace, "
                           "helene or agent (the helpdesk agent) (default alice)")

    lookup = sub.add_parser("lookup", help="look up an error code, message or question")
    lookup.add_argument("query", nargs="?", help="the text to look up (standard input when omitted)")
    lookup.add_argument("--lang", choices=("en", "fr"), default="en")
    lookup.add_argument("--jsonl", action="store_true", help='read {"q", "lang"} JSON lines, write one reply each')

    audit = sub.add_parser("audit", help="list the device-sync audit log")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.add_argument("--limit", type=int, default=None)

    manifest = sub.add_parser("manifest", help="build the Teams app package (zip)")
    manifest.add_argument("--app-id", required=True, help="the bot's Microsoft App ID (a GUID)")
    manifest.add_argument("--domain", default=None, help="the host serving the bot, e.g. bot.contoso.com")
    manifest.add_argument("--out", default="build/intune-helpdesk.zip")
    manifest.add_argument("--version", default=None, help="package version (must grow for Teams to update)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "serve"
    if command == "lookup":
        from bot.lookup_cli import main as lookup_main

        return lookup_main(args.query, args.lang, args.jsonl)
    if command == "serve":
        from bot.server import main as serve_main

        return serve_main()
    if command == "chat":
        from bot.chat import main as chat_main

        return chat_main(lang=args.lang, as_user=args.as_user)
    if command == "audit":
        from bot.audit_cli import main as audit_main

        return audit_main(as_json=args.json, limit=args.limit)
    if command == "manifest":
        from pathlib import Path

        from bot.manifest_package import ManifestError, build_package

        try:
            out = build_package(args.app_id, Path(args.out), domain=args.domain, version=args.version)
        except ManifestError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {out}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
