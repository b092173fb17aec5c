"""Where the flows' code changed under running flows, and which side of each change a run takes.

Each change is a ``workflow.patched`` marker: a run that met the new code records it, and a
run from before replays on its old path. A run used to meet each marker where the change is,
often after a local step (workflows/database_steps.py) in the same workflow task. When a query
(the person's browser reading the screen) came while that task ran, temporalio 1.35's core
sometimes recorded the local step's marker in that task and ran the code after it in the next.
Replay runs that code in the first task, where a marker recorded in the next one is not seen:
the patch answers otherwise, and the flow cannot be replayed (a registration's NEXT did this in
1 to 4 of 20 runs: tests/workflows/test_versions.py).

So a run now decides every change at its start, before any step can run: ``decide_at_start``,
in each workflow's first task, meets one marker (``DECIDED_AT_START``) that stands for all the
changes made before it. A run that recorded it takes the new side of each of them and records
no other marker. A run from before it (no such marker in its first task) meets each change
where it always did, and replays as it ran.

Each marker is a generation, and stands for its own changes and every earlier generation's: a
run records only the newest it meets, one marker whatever the number of changes (each costs the
engine a marker event and an upsert of TemporalChangeVersion, a write to its visibility store).
A later change gets a new generation: its marker goes first in ``_GENERATIONS``, with the change
beside it. A run from before it meets the generation it recorded, and replays as it ran.
"""

from __future__ import annotations

from temporalio import workflow

# The changes made before runs decided them at their start, each still met by runs from before.
LOCAL_STEPS = "database-steps-local"
# Since then a write and its audit row are one step and one transaction (a saved password, a
# registered MFA method); flows from before record the audit row with a step of its own.
AUDITED_WRITES = "audited-writes"
# Since then a verified email address and its audit row are one step and one transaction too.
AUDITED_EMAIL = "audited-email-verification"
# Since then a restarted run's first step is an ordinary activity (workflows/database_steps.py).
FIRST_TASK_STEPS = "first-task-steps-as-activities"
# Since then a send is retried within the life of what it carries (workflows/deliveries.py).
RETRY_WITHIN_LIFE = "sends-retry-within-life"
# Flows started before it restart their idle timer at every action (cancel one, start one).
ONE_IDLE_TIMER = "idle-clock-one-timer"
SECURITY_NOTICES = "security-notices"
PENDING_EXPIRY = "pending-account-expiry"
IMITATED_SENDS = "decoys-imitate-real-sends"

DECIDED_AT_START = "changes-decided-at-start"
# Since then a press's send tries the flow's worker first (workflows/deliveries.py). Runs between
# it and ``ONE_MARKER`` recorded its marker beside ``DECIDED_AT_START``.
TRY_LOCALLY_FIRST = "sends-try-locally-first"
# Since then a run records one marker, the newest generation's, for all the changes above.
ONE_MARKER = "changes-one-marker"
# Since then a Login with Email ends at "E-mail address verified" and hands its sign-in over
# there; the edge makes it a session at Continue. Its own generation (the change's name is its
# marker's), so a run from before never meets it mid-run: it is decided at the start.
EMAIL_LOGIN_ENDS_VERIFIED = "email-login-ends-verified"

_BEFORE_GENERATIONS = frozenset({
    LOCAL_STEPS, AUDITED_WRITES, AUDITED_EMAIL, FIRST_TASK_STEPS, RETRY_WITHIN_LIFE, ONE_IDLE_TIMER,
    SECURITY_NOTICES, PENDING_EXPIRY, IMITATED_SENDS,
})
# Newest first: each marker and every change a run that recorded it takes. The two older ones
# were recorded side by side, each standing for its own changes only.
_GENERATIONS = (
    (EMAIL_LOGIN_ENDS_VERIFIED, _BEFORE_GENERATIONS | {TRY_LOCALLY_FIRST, EMAIL_LOGIN_ENDS_VERIFIED}),
    (ONE_MARKER, _BEFORE_GENERATIONS | {TRY_LOCALLY_FIRST}),
    (TRY_LOCALLY_FIRST, frozenset({TRY_LOCALLY_FIRST})),
    (DECIDED_AT_START, _BEFORE_GENERATIONS),
)


def decide_at_start() -> None:
    """Called once in each workflow's first task, before anything else can run. A new run records
    the newest marker alone; a run from before finds the markers it recorded (temporalio
    remembers each answer for the rest of the run, so a later ``patched`` agrees with this one)."""
    (newest, _), *older = _GENERATIONS
    if workflow.patched(newest):
        return
    for marker, _ in reversed(older):  # oldest first, the order in which such runs recorded them
        workflow.patched(marker)


def patched(change: str) -> bool:
    """Whether this run takes the new side of ``change``: decided at its start, or (a run from
    before the generations) where the change is met, as it was."""
    for marker, changes in _GENERATIONS:
        if change in changes and workflow.patched(marker):
            return True
    return workflow.patched(change)
