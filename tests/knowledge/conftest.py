"""Shared fixtures: the shipped knowledge base and its matcher are built once per session."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase, Matcher


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_dir()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)
