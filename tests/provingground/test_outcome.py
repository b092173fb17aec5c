"""The proving ground's at-least-once rule (provingground/outcome.py): which copies of a message
a lost workflow task explains, and which must be within the retried send attempts."""

from __future__ import annotations

from datetime import datetime

from devstack.topology import Ended
from provingground.outcome import copies_of_messages

PERSON = {"email": "pat@example.com", "phone": "+12025550143"}
CODE_EMAIL = {"to": ["Pat@example.com"], "subject": "Your code", "text": "Code 402719"}


def _instant(seconds: float) -> str:
    return f"2026-12-06T17:00:{seconds:06.3f}+00:00"


def _mail(message: dict, at: float) -> dict:
    return message | {"received_at": _instant(at)}


def _at(seconds: float) -> float:
    return datetime.fromisoformat(_instant(seconds)).timestamp()


def _ended(signalled: float, exited: float | None = None) -> Ended:
    return Ended("temporal", _at(signalled), _at(signalled if exited is None else exited))


def _counts(copies) -> tuple[int, int]:
    """How many copies, and how many of them came after a lost workflow task."""
    return len(copies), sum(copy.after_lost_task for copy in copies)


def test_a_copy_with_a_lost_workflow_task_before_it_is_a_repeated_first_attempt():
    mail = [_mail(CODE_EMAIL, 1.0), _mail(CODE_EMAIL, 9.0)]
    assert _counts(copies_of_messages(mail, [], [PERSON], [_ended(4.0)])) == (1, 1)


def test_a_copy_with_no_loss_between_must_be_a_retried_attempt():
    # Lost after both copies, or before the first: neither explains the second copy.
    mail = [_mail(CODE_EMAIL, 1.0), _mail(CODE_EMAIL, 2.0)]
    assert _counts(copies_of_messages(mail, [], [PERSON], [_ended(0.5), _ended(3.0)])) == (1, 0)


def test_a_first_copy_sent_while_temporal_shut_down_is_a_repeated_first_attempt():
    # Told to stop at 4 s, gone at 6 s: a task handed out meanwhile sent at 5 s, and its
    # completion was lost; the task ran again once Temporal was back.
    mail = [_mail(CODE_EMAIL, 5.0), _mail(CODE_EMAIL, 40.0)]
    assert _counts(copies_of_messages(mail, [], [PERSON], [_ended(4.0, 6.0)])) == (1, 1)


def test_a_first_copy_that_lands_just_after_its_worker_died_is_a_repeated_first_attempt():
    # Killed at 4.0 s, gone at 4.1 s, with the email written but not yet acknowledged: the sink
    # took it in at 4.3 s; the flow's task, lost with the worker, sent it again.
    mail = [_mail(CODE_EMAIL, 4.3), _mail(CODE_EMAIL, 14.2)]
    assert _counts(copies_of_messages(mail, [], [PERSON], [_ended(4.0, 4.1)])) == (1, 1)


def test_copies_both_before_the_signal_or_both_after_the_exit_are_not_explained_by_it():
    early = [_mail(CODE_EMAIL, 1.0), _mail(CODE_EMAIL, 3.0)]
    late = [_mail(CODE_EMAIL, 7.0), _mail(CODE_EMAIL, 9.0)]
    assert _counts(copies_of_messages(early, [], [PERSON], [_ended(4.0, 6.0)])) == (1, 0)
    assert _counts(copies_of_messages(late, [], [PERSON], [_ended(4.0, 6.0)])) == (1, 0)


def test_a_copy_names_whom_and_when_never_the_text():
    [copy] = copies_of_messages([_mail(CODE_EMAIL, 1.0), _mail(CODE_EMAIL, 2.5)], [], [PERSON], [])
    assert str(copy) == "Your code to pat@example.com at 17:00:01.000 and 17:00:02.500"
    assert "402719" not in str(copy)


def test_each_copy_is_read_against_the_one_before_it():
    mail = [_mail(CODE_EMAIL, 5.0), _mail(CODE_EMAIL, 1.0), _mail(CODE_EMAIL, 2.0)]
    assert _counts(copies_of_messages(mail, [], [PERSON], [_ended(4.0)])) == (2, 1)


def test_different_codes_and_other_peoples_messages_are_no_copies():
    other_code = CODE_EMAIL | {"text": "Code 118034"}
    stranger = CODE_EMAIL | {"to": ["lee@example.com"]}
    mail = [_mail(CODE_EMAIL, 1.0), _mail(other_code, 2.0), _mail(stranger, 3.0), _mail(stranger, 4.0)]
    sms = [{"to": PERSON["phone"], "body": "Code 555000", "date_created": _instant(at)} for at in (1.0, 7.0)]
    assert _counts(copies_of_messages(mail, sms, [PERSON], [_ended(5.0)])) == (1, 1)
