"""Service-level agreements: business-hours calendars and deadlines."""
