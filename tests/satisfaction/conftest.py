"""The notification tests' real SMTP server, for the resolution e-mail's rating link."""

from tests.notifications.conftest import smtp  # noqa: F401
