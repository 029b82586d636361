"""Providers are rows, not an enum: adding one needs no deploy."""

from __future__ import annotations

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import AlreadyExists
from modelplane.domain.history import FieldChange
from modelplane.domain.models import Provider
from modelplane.services import audit
from modelplane.store.unit_of_work import UnitOfWorkFactory


def create_provider(
    uows: UnitOfWorkFactory, provider: Provider, author: str | None = None
) -> Provider:
    """Add a provider, so that models of it can be created at once."""
    with uows() as uow:
        if uow.providers.get(provider.id) is not None:
            raise AlreadyExists("provider", provider.id)
        uow.providers.add(provider, utcnow())
        uow.touch("provider", provider.id)
        changes = [FieldChange(field="displayName", old=None, new=provider.display_name)]
        audit.record(uow, "provider", provider.id, "created", author, None, changes)
        uow.commit()
    return provider


def list_providers(uows: UnitOfWorkFactory) -> list[Provider]:
    with uows(read_only=True) as uow:
        return uow.providers.all()
