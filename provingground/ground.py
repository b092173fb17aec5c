"""The harness a scenario runs with: the topology, the people, the load generator in its own
process (told who does what, watched step by step), and the judgement afterwards."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from bench.login_users import add_email_users
from devstack import seed
from devstack.topology import Topology
from domain.passwords import hash_password
from engine.client import connect
from provingground.faults import FaultProxies
from provingground.journeys import Registrant
from provingground.outcome import Outcome, judge
from settings import Settings
from store.pool import create_pool

ROOT = Path(__file__).resolve().parent.parent
OnStep = Callable[[str, str], Awaitable[None]]  # (journey, step) just finished by someone


@dataclass(frozen=True)
class Size:
    """How big a run is: the full proving ground's figures, or the short versions `make test` runs."""

    registrations: int
    logins: int
    concurrency: int
    outage_seconds: float  # how long Temporal stays down
    provider_outage_seconds: float  # how long SMTP and Twilio stay broken
    racers: int  # simultaneous requests in each race
    soak_flows: int


@dataclass
class Ground:
    topology: Topology
    temporal: Client
    faults: FaultProxies
    _runs: int = field(default=0)
    _phones: int = field(default=0)  # numbers handed out in this topology (each SMS inbox is one person's)

    @classmethod
    async def connect(cls, topology: Topology) -> "Ground":
        settings = Settings(
            secret_key=topology.secrets["SECRET_KEY"], payload_keys=topology.secrets["PAYLOAD_KEYS"],
            twilio_auth_token=topology.secrets["TWILIO_AUTH_TOKEN"], temporal_address=topology.temporal_address,
        )
        assert isinstance(topology.gateway, FaultProxies)
        return cls(topology, await connect(settings), topology.gateway)

    def registrants(self, count: int, *, prefix: str = "pg") -> list[Registrant]:
        run = uuid.uuid4().hex[:6]
        return [Registrant.named(f"{prefix}-{run}-{i}", seed.PROVIDER_NPI, seed.REGISTRATION_CODE) for i in range(count)]

    async def people(self, registrations: int, logins: int) -> list[tuple[str, Registrant]]:
        """New providers registering and returning ones logging in, mixed as they would come."""
        people = [("registration", who) for who in self.registrants(registrations)]
        people += [("login", who) for who in await self.returning_users(logins)]
        random.Random(len(people)).shuffle(people)
        return people

    async def returning_users(self, count: int, *, by_phone: bool = False) -> list[Registrant]:
        """People who registered before (put straight into the database): they log in, with
        the email method or, ``by_phone``, each with a number of their own."""
        password = uuid.uuid4().hex + "Aa1!"
        phones = [self._new_phone() for _ in range(count)] if by_phone else None
        pool = await create_pool(self.topology.database_url)
        try:
            password_hash = await asyncio.to_thread(hash_password, password)
            users = await add_email_users(pool, seed.PROVIDER_NPI, password_hash, count, phones=phones)
        finally:
            await pool.close()
        return [Registrant(u.username, u.email, seed.PROVIDER_NPI, seed.REGISTRATION_CODE, password, u.phone) for u in users]

    def _new_phone(self) -> str:
        self._phones += 1
        return f"+1202555{self._phones:04d}"

    async def load(self, people: list[tuple[str, Registrant]], *, concurrency: int, on_step: OnStep | None = None) -> dict:
        """Run the load generator over ``people`` ((journey, who) pairs) until all are done."""
        self._runs += 1
        folder = self.topology.folder
        spec, progress, result = (folder / f"load-{self._runs}.{name}" for name in ("spec.json", "progress", "outcome.json"))
        progress.write_text("")
        portal = {"api_urls": self.topology.api_urls, "mail_url": self.topology.mail_url,
                  "sandbox_url": self.topology.sandbox_url}
        spec.write_text(json.dumps({
            "portal": portal, "concurrency": concurrency, "progress": str(progress),
            "people": [(kind, who.__dict__) for kind, who in people],
        }))
        generator = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "provingground.load", str(spec), str(result), cwd=ROOT,
            stdout=open(folder / "logs" / "load.log", "ab"), stderr=asyncio.subprocess.STDOUT,
        )
        waited = asyncio.create_task(generator.wait())
        read = 0
        while True:
            done = waited.done()
            lines = progress.read_text().splitlines(keepends=True)
            for line in lines[read:]:
                if line.endswith("\n") and on_step is not None:
                    await on_step(*line.split())
            read += sum(1 for line in lines[read:] if line.endswith("\n"))
            if done:
                break
            await asyncio.sleep(0.1)
        if generator.returncode != 0:
            raise RuntimeError(f"the load generator failed (exit {generator.returncode}); see {folder}/logs/load.log")
        return json.loads(result.read_text())

    async def judge(self, load: dict, *, faults: int) -> Outcome:
        return await judge(load, database_url=self.topology.database_url, mail_url=self.topology.mail_url,
                           sandbox_url=self.topology.sandbox_url, temporal=self.temporal, faults=faults,
                           ended=self.topology.ended)
