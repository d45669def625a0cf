"""Technicians' queues: the "my queues" overview, queue lists, the staff ticket page."""
