"""Catalogue services raise domain errors (cinema.errors.DomainError), not
ProtectedError or IntegrityError, for the refusals the API and admin show."""

import pytest

from catalog.exceptions import MovieHasShows, ScreenHasShows, ScreenNameTaken, TheatreHasScreens
from catalog.services import movie_delete, screen_create, screen_delete, theatre_delete
from cinema.errors import DomainError
from tests.factories import ScreenFactory, ShowFactory

pytestmark = pytest.mark.django_db


def test_a_screen_name_is_unique_per_theatre():
    screen = ScreenFactory(name="One")
    with pytest.raises(ScreenNameTaken) as exc:
        screen_create(theatre=screen.theatre, name="One", layout="SS")
    assert (exc.value.status, exc.value.code, list(exc.value.details["fields"])) == (400, "INVALID", ["name"])


def test_deleting_what_is_still_used_is_a_domain_error():
    show = ShowFactory()
    for delete, error in [
        (lambda: movie_delete(movie=show.movie), MovieHasShows),
        (lambda: screen_delete(screen=show.screen), ScreenHasShows),
        (lambda: theatre_delete(theatre=show.screen.theatre), TheatreHasScreens),
    ]:
        with pytest.raises(error) as exc:
            delete()
        assert isinstance(exc.value, DomainError) and exc.value.status == 409
