"""Two writers on the same version, in real threads on the real database."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from modelplane.domain.errors import VersionConflict
from modelplane.services.models import history, update_model
from modelplane.store.unit_of_work import UnitOfWork

M = "openai:gpt-5"


def test_two_writers_on_one_version_one_wins_one_gets_a_conflict(seeded: Engine) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def writer(price: int) -> None:
        barrier.wait()
        try:
            with UnitOfWork(seeded) as uow:
                update_model(uow, M, {"pricing": {"input": price}}, f"w{price}", 1)
                uow.commit()
            result = "ok"
        except VersionConflict as exc:
            result = f"conflict at {exc.current}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=writer, args=(p,)) for p in (7, 8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict at 2", "ok"]
    with UnitOfWork(seeded) as uow:
        entries, total = history(uow, M)
        current = uow.models.get(M)
    assert total == 2
    assert [e.version for e in entries] == [2, 1]
    assert current is not None and current.version == 2
    assert str(current.pricing.input) == entries[0].changes[0].new.__str__()
