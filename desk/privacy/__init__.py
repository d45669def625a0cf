"""Personal data: their retention (the sweep that erases them on time) and the privacy page."""
