from tests.bot.conftest import Chat, texts


async def test_code_lookup(alice: Chat) -> None:
    replies = await alice.say("0x87D1FDE8")
    assert "0x87D1FDE8" in texts(replies)
