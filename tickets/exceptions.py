"""Domain errors of the door (see cinema/errors.py): no HTTP here."""

from cinema.errors import DomainError


class TicketError(DomainError):
    status = 409
    code = "TICKET_ERROR"


class TicketNotFound(TicketError):
    status = 404
    code = "NOT_FOUND"


class AlreadyCheckedIn(TicketError):
    code = "ALREADY_CHECKED_IN"


class NotAdmissible(TicketError):
    code = "NOT_ADMISSIBLE"
