"""What the edge (nginx, a CDN) may cache: SPEC 7.5's public anonymous seat maps."""

# Views whose answer to a viewer without credentials is the same for everyone.
PUBLIC_ANONYMOUS_VIEWS = frozenset({"api-show-seats"})


class PublicSeatMapMiddleware:
    """Anonymous seat maps answer ``Cache-Control: public, max-age=1`` (with
    their ETag), so a reverse proxy can absorb polling; a signed-in viewer's
    map (it shows their own holds) stays ``private, no-cache``. The view keeps
    ``Vary: Authorization, Cookie``, and deploy/nginx.conf never caches a
    request that carries either."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if (
            request.method in {"GET", "HEAD"}
            and response.status_code in {200, 304}
            and match is not None
            and match.view_name in PUBLIC_ANONYMOUS_VIEWS
            and not getattr(getattr(request, "user", None), "is_authenticated", False)
        ):
            response["Cache-Control"] = "public, max-age=1"
        return response
