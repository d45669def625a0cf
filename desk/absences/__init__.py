"""Technicians' absences: a technician on leave says so, and desk stops counting on them."""
