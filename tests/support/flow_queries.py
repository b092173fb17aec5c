"""Counting the API's queries of its flows: an action that is one round trip (issue 11) sends
its update and asks the flow nothing first."""

from __future__ import annotations

import pytest

from api import flows as flows_module


def count_flow_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Wrap the API's one way to query a flow (api/flow_queries.py, as api/flows.py uses it);
    the returned list names each query the API sends from now on, in order."""
    queried: list[str] = []
    real_query = flows_module.query_flow

    async def counted(handle, name, args, result_type):
        queried.append(name)
        return await real_query(handle, name, args, result_type)

    monkeypatch.setattr(flows_module, "query_flow", counted)
    return queried
