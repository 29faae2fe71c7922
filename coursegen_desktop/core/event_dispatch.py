"""One way for a view to react to events: methods marked `@handles(EventClass)`, found by class.

Each view (the progress dialog's `JobViewState`, the history table's model) keeps one small
method per event type it cares about, and `dispatch(view, event)` calls the one for the event's
class. The table is keyed by the event classes themselves, so a renamed or misspelt event is an
error at import time, not a handler that silently never runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from coursegen_desktop.core.events import EVENT_TYPES, Event

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "__handles_events__"


def handles(*event_types: type[Event]) -> Callable[[F], F]:
    """Mark a method `(self, event)` as the handler of these event classes."""
    for event_type in event_types:
        if event_type not in EVENT_TYPES:
            raise TypeError(f"{event_type!r} is not one of the event types in core.events")

    def mark(method: F) -> F:
        setattr(method, _MARK, event_types)
        return method

    return mark


@cache
def handlers_of(cls: type) -> dict[type[Event], Callable[[Any, Event], Any]]:
    """Event class -> handler, for `cls` and its bases (a subclass's handler wins)."""
    table: dict[type[Event], Callable[[Any, Event], Any]] = {}
    for klass in reversed(cls.__mro__):
        for attribute in vars(klass).values():
            for event_type in getattr(attribute, _MARK, ()):
                table[event_type] = attribute
    return table


def dispatch(view: object, event: Event) -> Any:
    """Call `view`'s handler for `event` and return what it returns (None when it has none)."""
    handler = handlers_of(type(view)).get(type(event))
    return None if handler is None else handler(view, event)
