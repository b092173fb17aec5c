"""The Flows adapter as a browser meets it: a signed cookie binds the flow, forms need the
CSRF token, a bad input comes back on the same screen, a forged cookie gets no flow."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import PollWorkflowTaskQueueRequest
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from api.flows import ActionRefused, FlowEnded, Flows
from tests.support.challenge_flow import ChallengeFlow, ChallengeStart
from workflows.code_step import CodeStep
from workflows.flow import FlowView

EMAIL = "sam.staff@example.com"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def start_in_browser(http) -> str:
    form = await http.get("/challenge/new")
    assert form.headers["x-frame-options"] == "DENY" and "content-security-policy" in form.headers
    data = {"channel": "email", "destination": EMAIL, "csrf_token": csrf_of(form.text)}
    page = await http.post("/challenge", data=data)
    assert page.status_code == 201, page.text
    assert "Verification code has been sent" in page.text
    assert "<label for=\"code\">Verification Code</label>" in page.text
    return csrf_of(page.text)


async def test_form_round_trip_with_errors_on_the_same_screen(live_app, mail):
    async with live_app.http() as http:
        csrf = await start_in_browser(http)
        cookie = http.cookies[Flows.cookie_name("challenge")]
        assert cookie.startswith("challenge-")
        await mail.wait_for_messages_to(EMAIL)
        wrong = await http.post("/challenge/verify", data={"code": "12", "csrf_token": csrf})
        assert wrong.status_code == 422
        assert "Enter the 6-digit code." in wrong.text and 'for="code"' in wrong.text
        done = await http.post("/challenge/verify", data={"code": mail.last_code_to(EMAIL), "csrf_token": csrf})
        assert done.status_code == 200 and "Verified." in done.text


async def test_form_without_csrf_token_is_refused_and_changes_nothing(live_app, mail):
    async with live_app.http() as http:
        await start_in_browser(http)
        refused = await http.post("/challenge/send", data={})
        assert refused.status_code == 403
        assert "reload the page" in refused.text
        forged = await http.post("/challenge/send", data={"csrf_token": "0" * 64})
        assert forged.status_code == 403
        assert len(await mail.wait_for_messages_to(EMAIL)) == 1  # only the first code went out


async def test_forged_or_missing_flow_cookie_gets_no_flow(live_app):
    async with live_app.http() as http:
        await start_in_browser(http)
        cookie = http.cookies[Flows.cookie_name("challenge")]
        flow_id, _, mac = cookie.rpartition(".")
        http.cookies.set(Flows.cookie_name("challenge"), f"challenge-00000000-0000-0000-0000-000000000000.{mac}")
        response = await http.get("/api/v1/challenge")
        assert response.status_code == 404
        assert response.json() == {"detail": "This page has expired. Please start again."}
    async with live_app.http() as stranger:
        assert (await stranger.get("/challenge")).status_code == 404


async def test_json_calls_need_the_json_content_type(live_app):
    async with live_app.http() as http:
        response = await http.post("/api/v1/challenge/send", data={"x": "1"})
        assert response.status_code == 415


async def test_a_typed_call_answers_its_result_or_the_refusal_with_its_field(live_app, mail):
    flows = Flows(live_app.client, live_app.settings, signer=None, templates=None)  # type: ignore[arg-type]
    async with live_app.http() as http:
        await start_in_browser(http)
        flow_id = http.cookies[Flows.cookie_name("challenge")].rsplit(".", 1)[0]
    with pytest.raises(ActionRefused) as refused:
        await flows.call(flow_id, CodeStep.verify_code, "not a digest", within=10)
    assert (refused.value.field_name, refused.value.message, refused.value.code) == (
        "code", "Enter the 6-digit code.", "not_six_digits")
    wrong = await flows.call(flow_id, CodeStep.verify_code, "0" * 64, within=10)
    assert isinstance(wrong, FlowView) and wrong.errors["code"]
    with pytest.raises(FlowEnded):
        await flows.call("challenge-no-such-flow", CodeStep.verify_code, "0" * 64, within=10)


async def test_a_flow_started_with_its_first_screen_answers_it_in_the_same_call(live_app):
    flows = Flows(live_app.client, live_app.settings, signer=None, templates=None)  # type: ignore[arg-type]
    start = ChallengeStart(channel="email", destination=EMAIL, deliver=False)
    flow_id, view = await flows.start_showing("challenge", ChallengeFlow.run, start)
    assert flow_id.startswith("challenge-") and (view.process, view.step) == ("challenge", "code")
    assert await flows.view(flow_id) == view
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    updates = [e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
               for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert updates == ["first_screen"]  # one call, not a start and a query


@workflow.defn(name="FlowFromBeforeFirstScreen")
class FlowFromBeforeFirstScreen:
    """A flow as a worker from before ``first_screen`` runs it (a rolling deploy's straggler)."""

    @workflow.run
    async def run(self, _: str) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.query
    def view(self) -> FlowView:
        return FlowView(process="old", step="first")


async def test_a_worker_without_first_screen_still_starts_the_flow_and_its_view_answers(live_app):
    settings = live_app.settings.model_copy(update={"temporal_task_queue": f"old-{uuid.uuid4().hex[:8]}"})
    flows = Flows(live_app.client, settings, signer=None, templates=None)  # type: ignore[arg-type]
    async with Worker(
        live_app.client, task_queue=settings.temporal_task_queue, workflows=[FlowFromBeforeFirstScreen],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        flow_id, view = await flows.start_showing("old", FlowFromBeforeFirstScreen.run, "")
        assert (view.process, view.step) == ("old", "first")
        await live_app.client.get_workflow_handle(flow_id).terminate()


@workflow.defn(name="QuietFlow")
class QuietFlow:
    @workflow.run
    async def run(self, _: str) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.update
    def first_screen(self) -> FlowView:
        return FlowView(process="quiet", step="first")


async def test_a_first_task_its_worker_took_and_lost_goes_to_another_after_the_flow_task_timeout(live_app):
    """A person waits on every workflow task. One taken by a worker that died holding it (or,
    on a saturated dev server, never delivered to the poller that took it) is given to another
    worker after FLOW_TASK_TIMEOUT: here 2 s, where Temporal's default would keep them 10 s."""
    settings = live_app.settings.model_copy(
        update={"temporal_task_queue": f"lost-{uuid.uuid4().hex[:8]}", "flow_task_timeout": timedelta(seconds=2)}
    )
    flows = Flows(live_app.client, settings, signer=None, templates=None)  # type: ignore[arg-type]
    starting = asyncio.create_task(flows.start_showing("quiet", QuietFlow.run, ""))
    request = PollWorkflowTaskQueueRequest(
        namespace=live_app.client.namespace, task_queue=TaskQueue(name=settings.temporal_task_queue), identity="died-holding-it"
    )
    taken = await live_app.client.workflow_service.poll_workflow_task_queue(request)
    assert taken.workflow_execution.workflow_id.startswith("quiet-") and not starting.done()
    async with Worker(
        live_app.client, task_queue=settings.temporal_task_queue, workflows=[QuietFlow], workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        flow_id, view = await starting
    assert (view.process, view.step) == ("quiet", "first")
    handle = live_app.client.get_workflow_handle(flow_id)
    events = (await handle.fetch_history()).events
    assert events[0].workflow_execution_started_event_attributes.workflow_task_timeout.ToTimedelta() == timedelta(seconds=2)
    timed_out = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT]
    # The task the dead poller took timed out (a loaded machine might time out the retry too).
    assert timed_out and events[timed_out[0].event_id - 2].workflow_task_started_event_attributes.identity == "died-holding-it"
    await handle.terminate()
