"""BotStateStorage: botbuilder's Storage over a Store, including a dialog that survives a restart."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core import ConversationState, MessageFactory, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogState,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, TextPrompt

from bot.state_storage import BotStateStorage, decode_item, encode_item
from storage import ConcurrencyError, MemoryStore
from tests.storage.conftest import Backend


@pytest.fixture
async def storage() -> BotStateStorage:
    return BotStateStorage(MemoryStore())


# --- Storage semantics ----------------------------------------------------------------------


async def test_read_returns_existing_keys_with_etag(storage: BotStateStorage) -> None:
    assert await storage.read([]) == {}
    await storage.write({"a": {"n": 1}})
    items = await storage.read(["a", "missing"])
    assert list(items) == ["a"]
    assert items["a"]["n"] == 1
    assert items["a"]["e_tag"]
    # Stored under the state/ namespace, without the e_tag inside the document.
    record = await storage.store.get("state/a")
    assert record is not None and record.value == {"n": 1} and record.etag == items["a"]["e_tag"]


async def test_stale_etag_write_raises(storage: BotStateStorage) -> None:
    await storage.write({"k": {"n": 0}})
    turn_a = (await storage.read(["k"]))["k"]
    turn_b = (await storage.read(["k"]))["k"]
    turn_a["n"] = 1
    await storage.write({"k": turn_a})
    turn_b["n"] = 2
    with pytest.raises(ConcurrencyError):
        await storage.write({"k": turn_b})
    assert (await storage.read(["k"]))["k"]["n"] == 1


@pytest.mark.parametrize("etag", [None, "*"])
async def test_none_and_star_write_unconditionally(storage: BotStateStorage, etag: str | None) -> None:
    await storage.write({"k": {"n": 0}})
    await storage.write({"k": {"n": 1, "e_tag": etag}})
    assert (await storage.read(["k"]))["k"]["n"] == 1


async def test_empty_etag_and_none_changes_are_rejected(storage: BotStateStorage) -> None:
    with pytest.raises(Exception, match="etag missing"):
        await storage.write({"k": {"e_tag": ""}})
    with pytest.raises(Exception, match="Changes are required"):
        await storage.write(None)  # type: ignore[arg-type]


async def test_write_refreshes_etag_so_a_second_save_in_a_turn_works(storage: BotStateStorage) -> None:
    await storage.write({"k": {"n": 0}})
    item = (await storage.read(["k"]))["k"]
    item["n"] = 1
    await storage.write({"k": item})
    item["n"] = 2
    await storage.write({"k": item})
    assert (await storage.read(["k"]))["k"] == item


async def test_etag_of_a_deleted_item_recreates_it(storage: BotStateStorage) -> None:
    await storage.write({"k": {"n": 0}})
    item = (await storage.read(["k"]))["k"]
    await storage.delete({"k"})  # BotState.delete passes a set
    assert await storage.read(["k"]) == {}
    await storage.write({"k": item})
    assert (await storage.read(["k"]))["k"]["n"] == 0


async def test_store_item_objects_round_trip(storage: BotStateStorage) -> None:
    await storage.write({"item": StoreItem(count=3, e_tag="*")})
    item = (await storage.read(["item"]))["item"]
    assert isinstance(item, StoreItem)
    assert item.count == 3 and item.e_tag not in (None, "*")


def test_encoding_keeps_dialog_state_and_non_string_keys() -> None:
    state = DialogState()
    state.dialog_stack.append(_instance("main", {"stepIndex": 1, "values": {"name": "Zoé"}}))
    flat = encode_item({"DialogState": state, "counts": {1: "one", (2, 3): "tuple"}, "e_tag": "x"})
    assert "e_tag" not in flat
    restored = decode_item(flat)
    assert isinstance(restored["DialogState"], DialogState)
    assert restored["DialogState"].dialog_stack[0].id == "main"
    assert restored["DialogState"].dialog_stack[0].state["values"] == {"name": "Zoé"}
    assert restored["counts"] == {1: "one", (2, 3): "tuple"}


def _instance(dialog_id: str, state: dict[str, Any]) -> Any:
    from botbuilder.dialogs import DialogInstance

    instance = DialogInstance()
    instance.id = dialog_id
    instance.state = state
    return instance


# --- a real dialog across a restart ---------------------------------------------------------


def build_bot(storage: BotStateStorage) -> TestAdapter:
    """A fresh bot process: new state objects, new dialogs, new adapter, same storage location."""
    conversation_state = ConversationState(storage)
    dialogs = DialogSet(conversation_state.create_property("DialogState"))
    dialogs.add(TextPrompt("text"))

    async def ask_name(step: WaterfallStepContext) -> DialogTurnResult:
        return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("What is your name?")))

    async def ask_device(step: WaterfallStepContext) -> DialogTurnResult:
        step.values["name"] = step.result
        prompt = MessageFactory.text(f"Which device, {step.result}?")
        return await step.prompt("text", PromptOptions(prompt=prompt, retry_prompt=prompt))

    async def summary(step: WaterfallStepContext) -> DialogTurnResult:
        await step.context.send_activity(f"{step.values['name']} needs help with {step.result}")
        return await step.end_dialog()

    dialogs.add(WaterfallDialog("main", [ask_name, ask_device, summary]))

    async def logic(turn_context: TurnContext) -> None:
        dialog_context = await dialogs.create_context(turn_context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("main")
        await conversation_state.save_changes(turn_context)

    return TestAdapter(logic)


async def test_dialog_resumes_at_the_right_step_after_restart(durable_backend: Backend) -> None:
    store = durable_backend.open()
    bot = build_bot(BotStateStorage(store))
    flow = await bot.test("hello", "What is your name?")
    await flow.test("Alice", "Which device, Alice?")

    # Restart: the old store is closed; everything is rebuilt on the same file / Redis.
    store = await durable_backend.reopen(store)
    bot = build_bot(BotStateStorage(store))
    flow = await bot.test("Surface Pro", "Alice needs help with Surface Pro")
    # The dialog ended and that was saved too: the next message starts over.
    await flow.test("hi again", "What is your name?")


async def test_concurrent_turns_on_one_conversation_conflict(durable_backend: Backend) -> None:
    """Two replicas load the same conversation; the second to save must not overwrite the first."""
    storage_a = BotStateStorage(durable_backend.open())
    storage_b = BotStateStorage(durable_backend.open())
    await storage_a.write({"conv": {"DialogState": DialogState()}})
    seen_a = (await storage_a.read(["conv"]))["conv"]
    seen_b = (await storage_b.read(["conv"]))["conv"]
    assert isinstance(seen_b["DialogState"], DialogState)
    seen_a["DialogState"].dialog_stack.append(_instance("main", {"stepIndex": 0}))
    await storage_a.write({"conv": seen_a})
    with pytest.raises(ConcurrencyError):
        await storage_b.write({"conv": seen_b})


# --- decoded-state cache (eTag-keyed) ---------------------------------------------------------


async def test_a_write_by_another_replica_is_seen_despite_the_decode_cache(durable_backend: Backend) -> None:
    """Replica A decodes (and caches) a dialog stack; replica B changes it: A must see B's stack."""
    storage_a = BotStateStorage(durable_backend.open())
    storage_b = BotStateStorage(durable_backend.open())
    await storage_a.write({"conv": {"DialogState": DialogState()}})
    assert (await storage_a.read(["conv"]))["conv"]["DialogState"].dialog_stack == []
    assert (await storage_a.read(["conv"]))["conv"]["DialogState"].dialog_stack == []  # from the cache
    seen_b = (await storage_b.read(["conv"]))["conv"]
    seen_b["DialogState"].dialog_stack.append(_instance("sync", {"stepIndex": 2}))
    await storage_b.write({"conv": seen_b})
    stack = (await storage_a.read(["conv"]))["conv"]["DialogState"].dialog_stack
    assert [(i.id, i.state) for i in stack] == [("sync", {"stepIndex": 2})]
    await storage_b.delete(["conv"])
    assert await storage_a.read(["conv"]) == {}


async def test_each_read_gets_its_own_objects(storage: BotStateStorage) -> None:
    """A turn changes the state it read; an unsaved change must not leak into the next turn's read."""
    state = DialogState()
    state.dialog_stack.append(_instance("main", {"values": {"n": 1}}))
    await storage.write({"conv": {"DialogState": state}})
    first = (await storage.read(["conv"]))["conv"]
    second = (await storage.read(["conv"]))["conv"]  # served from the decode cache
    assert first is not second and first["DialogState"] is not second["DialogState"]
    second["DialogState"].dialog_stack[0].state["values"]["n"] = 99
    third = (await storage.read(["conv"]))["conv"]
    assert third["DialogState"].dialog_stack[0].state["values"] == {"n": 1}
    assert third["e_tag"] == first["e_tag"]


async def test_decode_cache_is_bounded() -> None:
    storage = BotStateStorage(MemoryStore(), decoded_cache_size=3)
    for i in range(10):
        await storage.write({f"conv-{i}": {"DialogState": DialogState()}})
        await storage.read([f"conv-{i}"])
    assert len(storage._decoded) == 3
    assert isinstance((await storage.read(["conv-0"]))["conv-0"]["DialogState"], DialogState)


def test_plain_json_state_is_returned_as_is_and_tagged_state_is_restored() -> None:
    profile = {"Profile": {"lang": "fr", "devices": ["a", "b"]}}
    assert decode_item(profile) is profile  # nothing to restore: no copy
    # Anything jsonpickle tagged, at any depth, still goes through jsonpickle.
    tagged = encode_item({"Profile": {"seen": {1: "one"}}, "nested": [{"t": (1, 2)}]})
    restored = decode_item(tagged)
    assert restored == {"Profile": {"seen": {1: "one"}}, "nested": [{"t": (1, 2)}]}
