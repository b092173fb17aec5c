"""Running the sandbox: on the caller's loop until cancelled, or in a thread of its own for tests."""

from __future__ import annotations

from devstack.background import AppServer, InThread
from devstack.twilio_sandbox.app import create_sandbox_app
from devstack.twilio_sandbox.state import SandboxState


async def serve(port: int, account_sid: str, auth_token: str, host: str = "127.0.0.1", *, keep: int = 1000) -> None:
    """Serve until cancelled (for `atrezzo dev`, which runs everything on one loop)."""
    server = AppServer(create_sandbox_app(account_sid, auth_token, SandboxState(keep)), host, port)
    print(f"Twilio sandbox: {server.url}/", flush=True)
    await server.run()


class RunningTwilioSandbox(InThread):
    """The sandbox on a free port in a daemon thread with its own event loop (for tests)."""

    def __init__(self, account_sid: str, auth_token: str, host: str = "127.0.0.1", startup_timeout: float = 10.0) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.state = SandboxState()
        server = AppServer(create_sandbox_app(account_sid, auth_token, self.state), host)
        super().__init__(server, "Twilio sandbox", startup_timeout)
        self.url = server.url
