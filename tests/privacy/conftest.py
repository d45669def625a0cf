"""The small desk of the queue tests: two queues, their technicians, a requester, tickets."""

from tests.queues.conftest import desk  # noqa: F401
