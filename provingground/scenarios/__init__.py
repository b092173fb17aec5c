"""The scenarios, by their number in the proving ground's issue. Each module has a TITLE and
``async def run(ground, size) -> Outcome``; ``app_settings(size)``, when present, gives settings
the API and workers of its topology get (shorter timeouts for the soak)."""

from provingground.scenarios import (
    api_crash,
    bad_input,
    postgres_restart,
    provider_outages,
    races,
    soak,
    temporal_outage,
    worker_crash,
)

SCENARIOS = {1: worker_crash, 2: api_crash, 3: temporal_outage, 4: provider_outages, 5: postgres_restart, 6: races,
             7: bad_input, 8: soak}
