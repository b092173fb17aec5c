from tests.provingground.short_run import survives


async def test_temporal_stopped_mid_load_answers_try_again_and_every_flow_goes_on(tmp_path):
    outcome = await survives(3, tmp_path)
    assert outcome.answers.get("503", 0) + outcome.answers.get("connection", 0) > 0, "the outage was never met"
