from tests.provingground.short_run import survives


async def test_every_open_flows_timer_fires_and_the_portal_keeps_answering(tmp_path):
    outcome = await survives(8, tmp_path)
    fired, _, opened = outcome.figures["timers fired"].partition(" of ")
    assert fired == opened and int(opened) > 0
