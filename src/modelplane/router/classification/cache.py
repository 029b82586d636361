"""A bounded memo of a deterministic classifier's answers, per message.

The embedded classifier is a pure function of the message and the classifier context
(the compiled router's categories and dials), and costs most of a route decision. The
same message comes back often in practice: retries, templated prompts, health probes and
the same question from many users. A hit answers from memory; a miss classifies and
remembers, forgetting the least recently used entry beyond ``size``.

The key is a digest of the message, so a cached entry costs the same whatever the text's
length, and the context itself: a new snapshot compiles a new context (new categories or
dials), which never meets an old entry. Classifications are frozen, so one answer can be
shared by every request that asked the same thing. A classifier that fails raises, and a
failure is never remembered.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from modelplane.router.classification.classifier import (
    Classifier,
    ClassifierContext,
    ClassifierName,
    Message,
)
from modelplane.router.classification.result import Classification

_Key = tuple[bytes, tuple[str, ...], int, bool, int]


class CachedClassifier:
    """``classifier``'s answers, remembered for the last ``size`` distinct messages."""

    def __init__(self, classifier: Classifier, size: int) -> None:
        if size < 1:
            raise ValueError("a classification cache needs room for at least one entry")
        self.inner = classifier
        self.name: ClassifierName = classifier.name
        self.size = size
        self._entries: OrderedDict[_Key, tuple[ClassifierContext, Classification]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def classify(self, message: Message, context: ClassifierContext) -> Classification:
        key = _key(message, context)
        with self._lock:
            entry = self._entries.get(key)
            # The context's id is in the key; holding the context itself in the entry
            # keeps that id from being reused by another context while the entry lives.
            if entry is not None and entry[0] is context:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
            self.misses += 1
        answer = self.inner.classify(message, context)
        with self._lock:
            self._entries[key] = (context, answer)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return answer

    def __len__(self) -> int:
        return len(self._entries)


def _key(message: Message, context: ClassifierContext) -> _Key:
    digest = hashlib.blake2b(message.text.encode("utf-8", "surrogatepass"), digest_size=20)
    return (
        digest.digest(),
        message.attachment_types,
        message.context_tokens,
        message.has_previous_model,
        id(context),
    )


__all__ = ["CachedClassifier"]
