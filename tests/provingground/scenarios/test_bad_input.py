from tests.provingground.short_run import survives


async def test_generated_and_malformed_requests_get_no_server_error_and_no_answer_off_schema(tmp_path):
    outcome = await survives(7, tmp_path)
    assert int(outcome.figures["operations tested"]) >= 40  # every operation of /openapi.json was reached
