"""The ground floor of every domain error. No HTTP here: each error carries
the status and uppercase code the API's error envelope uses (cinema/api.py
renders them), and HTML views and the admin show its message."""


class DomainError(Exception):
    status = 409
    code = "CONFLICT"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details
