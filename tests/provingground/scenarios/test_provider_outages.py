from tests.provingground.short_run import survives


async def test_mail_and_sms_outages_are_told_retried_within_life_and_no_code_outlives_it(tmp_path):
    outcome = await survives(4, tmp_path)
    assert outcome.answers.get("could not send", 0) > 0, "no screen met the outage"
    assert outcome.figures["codes typed a second after their life"].endswith("; 0 taken")
