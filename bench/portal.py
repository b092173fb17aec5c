"""The deployed application as the load generator reaches it: the API replicas (each person is
sent to one, in turn, as a load balancer spreads them), the mail sink, the demo provider."""

from __future__ import annotations

from dataclasses import dataclass

from bench.mail_watch import MailWatch


@dataclass(frozen=True)
class Portal:
    api_urls: list[str]
    mail: MailWatch
    npi: str
    registration_code: str

    def api_for(self, person: int) -> str:
        return self.api_urls[person % len(self.api_urls)]
