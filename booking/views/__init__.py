"""Moviegoer pages for seats and bookings. Each view parses a form, calls the
same service the API calls (booking/services/) and turns a domain error
into a message on the updated page.

By page: picker.py (the seat picker, holding, checkout, release),
bookings.py (my bookings, a booking's page, cancelling it), payments.py (the
test provider's payment page, provider webhooks). booking/urls.py routes to
the modules.
"""
