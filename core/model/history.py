"""Undo/redo over immutable values.

Because timelines are values, history is a list of them and a cursor: undo moves the cursor,
redo moves it back, a new edit drops the redo tail. "Dirty" compares the cursor with the entry
that was last saved, so undoing back to the saved state makes the document clean again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One state and the name of the edit that produced it (shown as "Undo trim")."""

    state: T
    label: str


class History(Generic[T]):
    """A linear undo stack with a saved marker; ``limit`` bounds memory on long sessions."""

    def __init__(self, initial: T, *, limit: int = 1000) -> None:
        self._entries: list[Entry[T]] = [Entry(initial, "open")]
        self._cursor = 0
        self._saved: int | None = 0
        self._limit = max(2, limit)

    @property
    def present(self) -> T:
        return self._entries[self._cursor].state

    @property
    def can_undo(self) -> bool:
        return self._cursor > 0

    @property
    def can_redo(self) -> bool:
        return self._cursor < len(self._entries) - 1

    @property
    def undo_label(self) -> str | None:
        return self._entries[self._cursor].label if self.can_undo else None

    @property
    def redo_label(self) -> str | None:
        return self._entries[self._cursor + 1].label if self.can_redo else None

    @property
    def dirty(self) -> bool:
        return self._saved != self._cursor

    def push(self, state: T, label: str) -> T:
        """Record ``state`` as the result of edit ``label``; an equal state records nothing."""
        if state == self.present:
            return state
        del self._entries[self._cursor + 1 :]
        if self._saved is not None and self._saved > self._cursor:
            self._saved = None  # the saved state was in the dropped redo tail
        self._entries.append(Entry(state, label))
        self._cursor += 1
        if len(self._entries) > self._limit:
            drop = len(self._entries) - self._limit
            del self._entries[:drop]
            self._cursor -= drop
            if self._saved is not None:
                self._saved = self._saved - drop if self._saved >= drop else None
        return state

    def undo(self) -> T:
        if self.can_undo:
            self._cursor -= 1
        return self.present

    def redo(self) -> T:
        if self.can_redo:
            self._cursor += 1
        return self.present

    def mark_saved(self) -> None:
        self._saved = self._cursor

    def rewrite(self, change: Callable[[T], T]) -> None:
        """Apply ``change`` to every state, past and future, without recording an edit: for what is
        not an edit but a fact about all of them (a new project named by its first "save as")."""
        self._entries = [Entry(change(e.state), e.label) for e in self._entries]
