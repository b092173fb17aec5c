"""`python -m devstack.twilio_sandbox`: the sandbox for a person, on a fixed port."""

from __future__ import annotations

import argparse
import asyncio
import os

from devstack.twilio_sandbox.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.twilio_sandbox",
        description="Twilio REST sandbox (Messages, Calls) with a page to read SMS and answer calls",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--account-sid", default=os.environ.get("TWILIO_ACCOUNT_SID"))
    parser.add_argument("--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN"))
    parser.add_argument("--keep", type=int, default=1000, help="how many SMS and calls to keep (the oldest go)")
    args = parser.parse_args()
    if not (args.account_sid and args.auth_token):
        parser.error("give --account-sid and --auth-token (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)")
    try:
        asyncio.run(serve(args.port, args.account_sid, args.auth_token, args.host, keep=args.keep))
    except KeyboardInterrupt:
        pass
