from provingground.scenarios import worker_crash
from tests.provingground.short_run import survives


async def test_every_flow_survives_a_worker_killed_at_every_step(tmp_path):
    outcome = await survives(1, tmp_path)
    assert outcome.faults >= len(worker_crash.REPLICAS)  # a kill at several steps, both workers struck
