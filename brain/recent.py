"""What a process keeps of its recent work, shared by its threads, within a bound."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MISSING = object()  # what ``get`` returns for a key not kept (None may be a kept value)


class Recent:
    """Values by key, the least recently used forgotten first once the values' weights add
    up to more than *limit* (by default each value weighs 1: *limit* values)."""

    def __init__(self, limit: int, weigh: Callable[[Any], int] = lambda _value: 1) -> None:
        self.limit = limit
        self.weigh = weigh
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self.lock:
            if key not in self.entries:
                return MISSING
            self.entries.move_to_end(key)
            return self.entries[key]

    def put(self, key: Hashable, value: Any) -> None:
        weight = self.weigh(value)
        with self.lock:
            if key in self.entries:
                self.size -= self.weigh(self.entries.pop(key))
            self.entries[key] = value
            self.size += weight
            while self.size > self.limit and self.entries:
                _key, gone = self.entries.popitem(last=False)
                self.size -= self.weigh(gone)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0
