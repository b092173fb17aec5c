from tests.provingground.short_run import survives


async def test_postgresql_restarted_mid_load_leaves_nothing_half_written(tmp_path):
    outcome = await survives(5, tmp_path)
    assert outcome.faults == 2  # both restarts happened while people were mid-journey
