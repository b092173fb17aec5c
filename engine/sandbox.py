"""Temporal's workflow sandbox, with a project's own flow modules passed through.

The sandbox re-imports, for each new workflow run, every module that is not passed through:
for the module a flow is defined in, that is compiling it again (the image writes no
bytecode) and rebuilding its classes — a fifth to a quarter of a worker's CPU per login or
registration (bench/JOURNAL.md). Everything those modules import is passed through already
(domain, activity contracts, the mixins in workflows/), and they hold constants only, so
passing them through too loses no isolation they relied on. The workflow and replay tests run
the flows in the strict default sandbox, so its checks still guard every path they take."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions


def passing_through(*modules: str) -> SandboxedWorkflowRunner:
    """The default sandbox, with ``modules`` (and their submodules) passed through."""
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*modules))
