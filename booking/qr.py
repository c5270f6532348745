"""The ticket's QR code: it encodes the ticket code and nothing else (the door
checks the server's record, tickets.services.checkin_record). Drawn with segno
(small, pure Python, no Pillow needed for PNG)."""

import io

import segno


def _qr(code: str):
    # Error correction "M" survives a scratched phone screen; a short code
    # keeps the symbol small (version 1-2), so modules stay big when scanned.
    return segno.make_qr(code, error="m")


def ticket_qr_svg(*, code: str, scale: int = 8) -> bytes:
    """A standalone SVG (crisp at any size on a phone screen)."""
    out = io.BytesIO()
    _qr(code).save(out, kind="svg", scale=scale, border=4, xmldecl=False, title=f"Ticket {code}")
    return out.getvalue()


def ticket_qr_png(*, code: str, scale: int = 8) -> bytes:
    """A PNG for email clients, which show an attached image (by Content-ID)
    more reliably than inline SVG."""
    out = io.BytesIO()
    _qr(code).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
