"""iCalendar (RFC 5545): reading a user's calendar file into occurrences (`parse`) and writing the
subscribable feed (`render`). Both import `icalendar` (and `recurring_ical_events`) when first
called, so only the calendar functions load them."""
