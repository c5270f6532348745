"""Who may do what through the API: the same Django model permissions the admin
honours.

A staff request needs ``is_staff`` *and* the model permission of its action
(``catalog.add_movie`` for ``POST /movies``, ``booking.view_booking`` to read
a show's bookings with customer emails). Superusers have every permission.

Views name the model whose permissions apply (``permission_model``) and may
map a method to another action (``permission_actions = {"POST": "change"}``
for an action endpoint such as "cancel").

Object scoping (staff limited to their theatres) plugs in at one place:
``staff_may_access_object``; views that load an object call
``self.check_object_permissions(request, obj)``.
"""

from rest_framework import exceptions, permissions

ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def model_permission(model, action: str) -> str:
    """``"<app_label>.<action>_<model_name>"``, as Django's admin checks it."""
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


# Theatre scoping (SPEC 7.4): an app registers the object that knows which
# theatres a staff user is assigned to (tickets.scoping.TheatreScope); this
# module imports no app. Without one, every staff user sees every object.
_scope = None


def staff_scope_register(scope) -> None:
    """Install the scope: an object with ``theatre_ids(user)``,
    ``queryset(queryset, user)`` and ``allows(user, obj)``."""
    global _scope
    _scope = scope


def staff_theatre_ids(user) -> frozenset[int] | None:
    """The theatres a scoped staff user may see, or None when unscoped
    (superusers, staff without assigned theatres, non-staff)."""
    return _scope.theatre_ids(user) if _scope is not None else None


def staff_scope_queryset(queryset, user):
    """``queryset`` without the objects of theatres a scoped staff ``user`` may
    not see; unchanged for everyone else. Staff lists, the admin and the door use it."""
    return _scope.queryset(queryset, user) if _scope is not None else queryset


def staff_may_access_object(user, obj) -> bool:
    """Whether a staff ``user`` may see or change ``obj`` at all: False for
    another theatre's screen, show, order or check-in when the user is scoped
    (views answer 404 then). Superusers and unscoped staff always pass."""
    return _scope.allows(user, obj) if _scope is not None else True


def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def _method_exists(request, view) -> bool:
    # A method the view does not have is a 405 for everyone, not a 401/403.
    return hasattr(view, request.method.lower())


class StaffModelPermissions(permissions.BasePermission):
    """Every method needs a staff user with the view's model permission
    (reads need ``view_<model>``)."""

    message = "You do not have permission to do this."
    requires_staff_for_reads = True

    def required_permission(self, request, view) -> str:
        actions = {**ACTIONS, **getattr(view, "permission_actions", {})}
        return model_permission(view.permission_model, actions.get(request.method, "change"))

    def has_permission(self, request, view):
        if not _method_exists(request, view):
            return True
        return _is_staff(request.user) and request.user.has_perm(self.required_permission(request, view))

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS and not self.requires_staff_for_reads:
            return True
        if request.user.is_superuser or staff_may_access_object(request.user, obj):
            return True
        # Another theatre's object does not exist for a scoped user: 404, not 403.
        raise exceptions.NotFound()


class PublicReadStaffModelPermissions(StaffModelPermissions):
    """Anyone reads (the public catalogue); writes need a staff user with the
    model's add/change/delete permission."""

    message = "Only cinema staff with the right permission may change the catalogue."
    requires_staff_for_reads = False

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)
