"""Seed the multi-node stack's primary: ``python -m tests.multinode.seed USERS LAYOUT``.

Runs with the app nodes' environment (their DATABASE_URL and JWT keys) and
prints JSON: the show, its seat ids, and an access token per user, minted
with the nodes' own signing key (so 200 buyers cost no 200 Argon2 logins).
"""

import json
import os
import sys


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema.settings")
    django.setup()
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from booking.models import ShowSeat
    from tests.factories import ShowFactory

    users_wanted, layout = int(sys.argv[1]), sys.argv[2].replace("/", "\n")
    show = ShowFactory(screen__layout=layout)
    tag = f"s{show.pk}"
    password = make_password("multinode-pass-2026", hasher="pbkdf2_sha256")
    users = User.objects.bulk_create(
        [
            User(email=f"buyer{i}.{tag}@example.com", name=f"Buyer {i}", password=password, email_verified=True)
            for i in range(users_wanted)
        ]
    )
    users = list(User.objects.filter(email__endswith=f".{tag}@example.com").order_by("pk"))
    seats = list(ShowSeat.objects.filter(show=show).order_by("pk").values_list("pk", flat=True))
    print(
        json.dumps(
            {
                "show_id": show.pk,
                "seat_ids": seats,
                "users": [{"id": u.pk, "email": u.email, "token": str(AccessToken.for_user(u))} for u in users],
            }
        )
    )


if __name__ == "__main__":
    main()
