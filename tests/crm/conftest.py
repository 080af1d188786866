"""What the CRM tests share: the fake HubSpot portal, served for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def portal() -> Iterator[object]:
    """A fake HubSpot portal on 127.0.0.1 (tests/fakes/hubspot.py), empty, for one test."""
    pytest.importorskip("hubspot")
    from tests.fakes.hubspot import HubSpotPortal

    with HubSpotPortal() as served:
        yield served
