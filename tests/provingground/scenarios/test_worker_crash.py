import pytest
from provingground.scenarios import worker_crash
from tests.provingground.short_run import survives


@pytest.mark.xfail(reason="a login lost its code after a worker kill since sends retry in the background (issue 12 note); under investigation", strict=False)
async def test_every_flow_survives_a_worker_killed_at_every_step(tmp_path):
    outcome = await survives(1, tmp_path)
    assert outcome.faults >= len(worker_crash.REPLICAS)  # a kill at several steps, both workers struck
