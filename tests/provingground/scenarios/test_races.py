from tests.provingground.short_run import survives


async def test_simultaneous_presses_leave_exactly_one_of_each(tmp_path):
    outcome = await survives(6, tmp_path)
    assert len(outcome.figures) == outcome.faults == 5  # every race ran and was counted
