from tests.provingground.short_run import survives


async def test_a_press_lost_with_a_killed_api_works_when_pressed_again(tmp_path):
    await survives(2, tmp_path)
