"""Staff admin for screens, shows and bookings, one module per resource.

Screens and shows are registered here rather than in catalog/admin.py because
saving them goes through booking.services (seats follow screens and shows),
and ``catalog`` never imports ``booking``. Every write is a service call; the
admin only parses input and turns domain errors into form errors or messages.
Generic helpers (read-only admin, local date hierarchy, the mixin that lets
services own the transaction) are in cinema/admin_helpers.py.
"""

from booking.admin import bookings, screens, seats, shows

__all__ = ["bookings", "screens", "seats", "shows"]
