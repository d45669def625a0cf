"""The small desk of the queue tests (two queues, their technicians, a requester, tickets), and
its network ticket after a real life, three years old."""

import pytest

from tests.privacy.lives import lived_ticket
from tests.queues.conftest import desk  # noqa: F401


@pytest.fixture
def lived(desk, login):  # noqa: F811
    return lived_ticket(desk, login)
