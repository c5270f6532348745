"""Plain-text emails are not HTML-escaped."""

import pytest
from django.template.loader import render_to_string

from tests.factories import BookingFactory, MovieFactory, ShowFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_ticket_email_text_is_not_html_escaped():
    show = ShowFactory(movie=MovieFactory(title="Chai & Chaos <3"))
    booking = BookingFactory(show=show, user=UserFactory(name="O'Brien & Co"))
    text = render_to_string("booking/email/confirmation.txt", {"booking": booking, "show": show, "lines": []})
    assert "Chai & Chaos <3" in text and "O'Brien & Co" in text
    assert "&amp;" not in text and "&lt;" not in text and "&#x27;" not in text


def test_verification_email_text_is_not_html_escaped():
    user = UserFactory(name="Tom & Jerry")
    text = render_to_string("accounts/email/verify_email.txt", {"user": user, "link": "http://x/?a=1&b=2"})
    assert "Tom & Jerry" in text and "a=1&b=2" in text
