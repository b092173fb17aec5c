"""Custom search attributes support staff use to find flows. Never a secret or PII here:
search attributes and workflow ids are stored unencrypted."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

PROCESS = SearchAttributeKey.for_keyword("AtrezzoProcess")
STEP = SearchAttributeKey.for_keyword("AtrezzoStep")
PROVIDER_NPI = SearchAttributeKey.for_keyword("AtrezzoProviderNpi")
ACCOUNT_ID = SearchAttributeKey.for_keyword("AtrezzoAccountId")
# When the flow entered its current step: "waiting for the email link for over 15 minutes".
STEP_SINCE = SearchAttributeKey.for_datetime("AtrezzoStepSince")

ALL = (PROCESS, STEP, PROVIDER_NPI, ACCOUNT_ID, STEP_SINCE)


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` arguments that register every attribute."""
    flags: list[str] = []
    for key in ALL:
        kind = "Datetime" if key is STEP_SINCE else "Keyword"
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags
