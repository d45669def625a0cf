"""Service status: known disruptions, told before anyone files a ticket about them."""
