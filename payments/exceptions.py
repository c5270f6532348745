"""Domain errors of the payments layer. No HTTP here: each carries the status
and uppercase code of the API's error envelope; pages show the message.

The one API handler (cinema/api.py) renders them through `DomainError`."""

from cinema.errors import DomainError


class PaymentError(DomainError):
    status = 400
    code = "PAYMENT_ERROR"


class PaymentDeclined(PaymentError):
    status = 402
    code = "PAYMENT_DECLINED"


class InvalidCard(PaymentError):
    """A card number the provider cannot even try (not a known test card, not digits)."""

    status = 400
    code = "INVALID_CARD"


class InvalidSignature(PaymentError):
    """A webhook whose signature is missing, wrong, malformed or older than the tolerance."""

    status = 400
    code = "INVALID_SIGNATURE"


class InvalidWebhook(PaymentError):
    """A correctly signed webhook whose body is not the documented shape."""

    status = 400
    code = "INVALID_WEBHOOK"


class PaymentMismatch(PaymentError):
    """A notice whose amount or currency is not the payment's."""

    status = 400
    code = "PAYMENT_MISMATCH"


class UnknownPayment(PaymentError):
    status = 400
    code = "UNKNOWN_PAYMENT"


class PaymentNotSupported(PaymentError):
    """The configured provider does not do this (e.g. a card form with `stripe`)."""

    status = 409
    code = "PAYMENT_NOT_SUPPORTED"


class RefundNotAllowed(PaymentError):
    """More than what is left to refund, a payment that never succeeded, or a
    refund key reused for a different refund."""

    status = 409
    code = "REFUND_NOT_ALLOWED"


class ProviderUnavailable(PaymentError):
    """The provider could not be reached or answered with an error; nothing was recorded as done."""

    status = 503
    code = "PAYMENT_PROVIDER_UNAVAILABLE"
