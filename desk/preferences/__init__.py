"""User preferences: location (site → building → floor), language, HR phone numbers."""
