"""Domain errors of the catalogue (see cinema/errors.py)."""

from cinema.errors import DomainError


class CatalogError(DomainError):
    status = 409
    code = "CATALOG_ERROR"


class MovieHasShows(CatalogError):
    code = "MOVIE_HAS_SHOWS"


class TheatreHasScreens(CatalogError):
    code = "THEATRE_HAS_SCREENS"


class ScreenHasShows(CatalogError):
    code = "SCREEN_HAS_SHOWS"


class ScreenNameTaken(CatalogError):
    """Another screen of the theatre has this name (a 400 on the ``name`` field)."""

    status = 400
    code = "INVALID"
