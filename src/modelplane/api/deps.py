"""Dependency shortcuts for the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from modelplane.bootstrap import Runtime
from modelplane.catalog.reader import CatalogReader


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_reader(request: Request) -> CatalogReader:
    return get_runtime(request).reader


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ReaderDep = Annotated[CatalogReader, Depends(get_reader)]
