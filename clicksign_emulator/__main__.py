"""``python -m clicksign_emulator`` — run the emulator on 127.0.0.1 for local use."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from . import constants as C
from .core import AccountSpec
from .server import EmulatorServer, is_loopback


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m clicksign_emulator",
        description="Local, in-memory emulator of Clicksign's API v3 (envelopes).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = free port)")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=C.DEFAULT_SANDBOX_RATE_LIMIT,
        help="requests per 10 s for sandbox accounts (default 20)",
    )
    parser.add_argument(
        "--production-rate-limit",
        type=int,
        default=C.DEFAULT_PRODUCTION_RATE_LIMIT,
        help="requests per 10 s for production accounts (default 50)",
    )
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="TOKEN[:API_USER_EMAIL]",
        help="create an account with this token (repeatable)",
    )
    parser.add_argument(
        "--environment",
        choices=C.ENVIRONMENTS,
        default=C.SANDBOX,
        help="environment of the --account accounts (default sandbox)",
    )
    parser.add_argument(
        "--no-demo-account",
        action="store_true",
        help=f"do not create the demo sandbox account (token {C.DEMO_SANDBOX_TOKEN})",
    )
    parser.add_argument("--public-url", help="URL used in links (default http://HOST:PORT)")
    parser.add_argument("--seed", type=int, help="seed ids and secrets for reproducible runs")
    parser.add_argument(
        "--webhook-mode",
        choices=("automatic", "manual"),
        default="automatic",
        help="deliver webhooks in the background (default) or only on flush",
    )
    parser.add_argument(
        "--state-file",
        help="keep the state in this file across restarts (loaded at start, saved on change)",
    )
    parser.add_argument(
        "--demo-api",
        choices=["3.0", "1.9"],
        default="3.0",
        help="1.9: the demo accounts are old ones (envelopes answer 503; API 1.9 works)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request")
    return parser.parse_args(argv)


def _say(line: str, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    out.write(line + "\n")
    out.flush()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not is_loopback(args.host):
        _say(f"refusing to listen on non-loopback host {args.host!r}", stream=sys.stderr)
        return 2
    accounts = []
    for index, value in enumerate(args.account, start=1):
        token, _, email = value.partition(":")
        accounts.append(
            AccountSpec(
                token=token,
                environment=args.environment,
                api_user_email=email or f"api{index}@emulador.local",
                name=f"Conta {index} ({args.environment})",
            )
        )
    if not args.no_demo_account:
        # A production account too, so that the demo can walk "Promover para produção".
        accounts.append(
            AccountSpec(
                token=C.DEMO_PRODUCTION_TOKEN,
                key=C.DEMO_PRODUCTION_ACCOUNT_KEY,
                environment=C.PRODUCTION,
                api_user_email=C.DEMO_API_USER_EMAIL,
                name="Demo Chancela (produção)",
                envelopes_enabled=args.demo_api == "3.0",
            )
        )
    server = EmulatorServer(
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        production_rate_limit=args.production_rate_limit,
        accounts=accounts,
        demo_account=not args.no_demo_account,
        webhook_settings={"mode": args.webhook_mode},
        seed=args.seed,
        public_url=args.public_url,
        quiet=not args.verbose,
    )
    keeper = None
    if args.state_file:
        from .state import StateKeeper, state_load

        path = Path(args.state_file)
        if state_load(server.emulator, path):
            _say(f"Clicksign emulator state loaded from {path}")
        keeper = StateKeeper(server.emulator, path)
    if not args.no_demo_account:
        # The API the demo runs on wins over a saved state (``make run`` on either API).
        for key in (C.DEMO_ACCOUNT_KEY, C.DEMO_PRODUCTION_ACCOUNT_KEY):
            account = server.emulator.accounts.get(key)
            if account is not None:
                account.envelopes_enabled = args.demo_api == "3.0"
    # A SIGTERM (``make run`` stopping its children) ends like Ctrl-C: the state is saved.
    signal.signal(signal.SIGTERM, _interrupt)
    server.start()
    if keeper is not None:
        keeper.start()
    _say(f"Clicksign emulator listening on {server.base_url}")
    _say(f"  API v3:      {server.api_url}")
    _say(f"  API 1.9:     {server.base_url}/api/v1 (?access_token=)")
    if args.demo_api == "1.9":
        _say("  Demo accounts: old ones (no envelopes; API 1.9 only)")
    _say(f"  Mailbox:     {server.emulator.public_url}/")
    _say(f"  Control API: {server.emulator.public_url}/__emulator/")
    if not args.no_demo_account:
        _say(f"  Demo sandbox token: {C.DEMO_SANDBOX_TOKEN}")
        _say(f"  Demo production token: {C.DEMO_PRODUCTION_TOKEN}")
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        if keeper is not None:
            keeper.stop()
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
