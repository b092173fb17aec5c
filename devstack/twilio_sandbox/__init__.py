"""A stand-in for the slice of Twilio's REST API the app uses (Messages and Calls create).

The real `twilio` client talks to it once `client.api.base_url` points here. A person reads
the SMS on its page and answers a call by pressing keys; the sandbox then calls the app's
<Gather> action back exactly as Twilio would, signature included.
`python -m devstack.twilio_sandbox` for a person; `RunningTwilioSandbox` for tests.
"""

from devstack.twilio_sandbox.app import create_sandbox_app
from devstack.twilio_sandbox.command import main
from devstack.twilio_sandbox.server import RunningTwilioSandbox, serve
from devstack.twilio_sandbox.state import SandboxState

__all__ = ["RunningTwilioSandbox", "SandboxState", "create_sandbox_app", "main", "serve"]
