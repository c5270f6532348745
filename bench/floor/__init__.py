"""The floor: the cheapest Django JSON response gunicorn can serve on this machine.

Not part of the product. `make bench` serves it next to the app, under the same
gunicorn.conf.py, so the app's numbers read as ratios of what the stack itself
allows (gunicorn + WSGI + Django's request/response cycle, no middleware, no DB).
"""
