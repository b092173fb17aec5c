"""What survived, read afterwards from the database, the mail sink and Temporal — never from
what the app said about itself.

- lost: a person who could not finish, a finished registration without an active account, a
  finished login without a session, an account a registration left half made;
- duplicated: a step recorded twice for one flow, and messages delivered more often than the
  at-least-once rule allows: a send retried after a crash (the worker died between handing
  the message over and reporting it sent) may deliver the same message again — same code,
  same link — so there may be one identical copy per retried send attempt, never more. A send's
  first attempt in the flow's own worker (workflows/deliveries.py) is repeated, with the same
  code, when that worker or Temporal went down before the workflow task that made it was
  recorded; for an update's task nothing of it is in history. Such a copy counts as retried
  when a worker or Temporal ended between it and the copy before: the copy before arrived
  before the process exited, and this one after it was told to stop;
- server errors: every 5xx but the 503 "try again" page, as the people saw them;
- stuck: a running flow whose workflow task or activity keeps failing once the faults are over;
- violations: answers outside the API's documented schema (the bad-input scenario), and a code
  taken after its life (the late typists of the provider-outage scenario).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import asyncpg
import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from devstack.topology import Ended
from provingground.journeys import LOGINS
from store import integrity

SENDS = {"send_link_email", "send_code_email", "send_notice_email", "send_code_sms", "place_verification_call"}
PROBLEMS = ("lost", "duplicated", "server_errors", "stuck", "violations")
# Once the faults are over, how long a failing flow gets to heal before it counts as stuck.
SETTLE_SECONDS = 90.0


@dataclass
class Outcome:
    flows: int = 0
    faults: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    answers: Counter = field(default_factory=Counter)
    retried_sends: int = 0
    # What a scenario measures besides the counts (its table shows them).
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.server_errors or self.stuck or self.violations)

    def add(self, other: "Outcome") -> None:
        self.flows += other.flows
        self.faults += other.faults
        for name in PROBLEMS:
            getattr(self, name).extend(getattr(other, name))
        self.answers.update(other.answers)
        self.retried_sends += other.retried_sends

    def line(self) -> str:
        return (f"proving ground: {self.flows} flows, {self.faults} faults, {len(self.lost)} lost, "
                f"{len(self.duplicated)} duplicated, {len(self.server_errors)} server errors, {len(self.stuck)} stuck")


async def judge(
    load: dict, *, database_url: str, mail_url: str, sandbox_url: str, temporal: Client, faults: int,
    ended: Sequence[Ended] = (),
) -> Outcome:
    """The outcome of one load run (provingground/load.py's OUTCOME); ``ended``: the processes
    stopped or killed meanwhile, and when (devstack/topology.py)."""
    people = load["people"]
    outcome = Outcome(flows=len(people), faults=faults, answers=Counter(load["tally"]["answers"]))
    outcome.server_errors = list(load["tally"]["server_errors"])
    outcome.lost = [f"{p['kind']} of {p['username']}: {p['error']} (flows {', '.join(p.get('flows', [])) or 'none'})"
                    for p in people if not p["finished"]]
    _count_late_codes(people, outcome)
    finished = [p for p in people if p["finished"]]
    conn = await asyncpg.connect(database_url)
    try:
        await _check_accounts(conn, finished, outcome)
    finally:
        await conn.close()
    outcome.retried_sends = await retried_sends(temporal)
    # The ends that lose a workflow task in flight: a worker's, Temporal's.
    task_losses = [end for end in ended if end.name == "temporal" or end.name.startswith("worker")]
    await _check_messages(mail_url, sandbox_url, people, outcome, task_losses)
    outcome.stuck = await stuck_flows(temporal)
    return outcome


def _count_late_codes(people: list[dict], outcome: Outcome) -> None:
    """Late typists (provingground/code_screen.py): a code the portal took after its life is a
    violation, however it was delivered."""
    notes: Counter = Counter()
    for person in people:
        notes.update(person.get("notes", {}))
    if notes["late_codes"]:
        outcome.figures["codes typed a second after their life"] = (
            f"{notes['late_codes']} ({notes['late_arrivals']} arrived late, through a retry); "
            f"{notes['late_codes_taken']} taken")
    outcome.violations += [f"{p['kind']} of {p['username']}: a code was taken after its life"
                           for p in people if p.get("notes", {}).get("late_codes_taken")]


async def _check_accounts(conn: asyncpg.Connection, finished: list[dict], outcome: Outcome) -> None:
    registered = [p["username"] for p in finished if p["kind"] == "registration"]
    status = await integrity.account_status(conn, registered)
    outcome.lost += [f"registration of {name}: account is {status.get(name, 'missing')}"
                     for name in registered if status.get(name) != "active"]
    logged_in = [p["username"] for p in finished if p["kind"] in LOGINS]
    sessions = await integrity.sessions_of(conn, logged_in)
    outcome.lost += [f"login of {name}: no session" for name in logged_in if not sessions.get(name)]
    outcome.lost += await integrity.half_accounts(conn)
    outcome.duplicated += await integrity.repeated_events(conn)


async def _check_messages(
    mail_url: str, sandbox_url: str, people: list[dict], outcome: Outcome, task_losses: Sequence[Ended]
) -> None:
    """Copies: emails and SMS to one person identical to an earlier one (a retried send repeats
    its code or link, activities/attempts.py). Two presses of Send are two sends, each its own
    code. A copy with a lost workflow task between it and the one before is a repeated first
    attempt; the others must be within the retried send attempts."""
    async with httpx.AsyncClient(timeout=30) as http:
        mail, sms = [(await http.get(f"{url}/api/messages")).raise_for_status().json() for url in (mail_url, sandbox_url)]
    copies = copies_of_messages(mail, sms, people, task_losses)
    unexplained = [copy for copy in copies if not copy.after_lost_task]
    if repeated := len(copies) - len(unexplained):
        outcome.figures["copies of a first attempt repeated after a lost workflow task"] = str(repeated)
    if len(unexplained) > outcome.retried_sends:
        outcome.duplicated.append(
            f"{len(unexplained) - outcome.retried_sends} messages delivered twice beyond the at-least-once rule "
            f"({len(copies)} copies, {repeated} after a lost workflow task, {outcome.retried_sends} sends retried; "
            f"the others: {'; '.join(map(str, unexplained))})")


@dataclass(frozen=True)
class Copy:
    """A message identical to one delivered to the same person before it (who and when only:
    never its text, which holds a code or a link)."""

    to: str
    subject: str  # "" for an SMS
    before: float  # epoch seconds: the copy before this one arrived
    after: float  # and this one
    after_lost_task: bool  # a worker or Temporal ended between the two

    def __str__(self) -> str:
        def moment(epoch: float) -> str:
            return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        return f"{self.subject or 'SMS'} to {self.to} at {moment(self.before)} and {moment(self.after)}"


# A message may land up to this many seconds after its sender is gone: a worker killed after
# writing an email's last line leaves it in the socket, and the sink takes it in once it reads it.
_IN_FLIGHT = 0.5


def copies_of_messages(mail: list[dict], sms: list[dict], people: list[dict], task_losses: Sequence[Ended]) -> list[Copy]:
    """The copies among the people's emails and SMS (as the sink and the sandbox list them), each
    read against the copy before it."""
    addresses = {p["email"].casefold() for p in people}
    phones = {p["phone"] for p in people if p.get("phone")}
    arrivals: dict[tuple[str, str, str], list[float]] = {}
    for m in mail:
        for to in m["to"]:
            if to.casefold() in addresses:
                arrivals.setdefault((to.casefold(), m["subject"], m["text"]), []).append(_epoch(m["received_at"]))
    for m in sms:
        if m["to"] in phones:
            arrivals.setdefault((m["to"], "", m["body"]), []).append(_epoch(m["date_created"]))
    copies = []
    for (to, subject, _), times in arrivals.items():
        times.sort()
        for before, after in zip(times, times[1:]):
            # The task was lost somewhere between the signal and the exit; the first copy may land
            # just after the exit, when the killed worker had written it all but the reply.
            lost = any(before - _IN_FLIGHT < end.exited and end.signalled <= after for end in task_losses)
            copies.append(Copy(to, subject, before, after, lost))
    return copies


def _epoch(instant: str) -> float:
    return datetime.fromisoformat(instant).timestamp()


async def retried_sends(temporal: Client) -> int:
    """Send attempts after the first, over every flow: each may have delivered its message again."""
    retried = 0
    async for execution in temporal.list_workflows():
        scheduled: dict[int, str] = {}
        async for event in temporal.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                attributes = event.activity_task_started_event_attributes
                if scheduled.get(attributes.scheduled_event_id) in SENDS:
                    retried += attributes.attempt - 1
    return retried


async def stuck_flows(temporal: Client, settle: float = SETTLE_SECONDS) -> list[str]:
    """Running flows whose workflow task or an activity is failing, after ``settle`` seconds to heal."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle
    while True:
        failing = []
        async for execution in temporal.list_workflows('ExecutionStatus = "Running"'):
            description = (await temporal.get_workflow_handle(execution.id).describe()).raw_description
            task = description.pending_workflow_task
            if task.attempt > 1:
                failing.append(f"{execution.id}: workflow task on attempt {task.attempt}")
            failing += [f"{execution.id}: {a.activity_type.name} on attempt {a.attempt}: {a.last_failure.message}"
                        for a in description.pending_activities if a.attempt > 1]
        if not failing or loop.time() > deadline:
            return failing
        await asyncio.sleep(5)
