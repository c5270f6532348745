"""factory-boy factories for every model. Shows are scheduled through the
service so they get their show seats, exactly as in production."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from booking.models import Booking, BookingSeat, IdempotencyRecord, ShowSeat
from catalog.models import Movie, Screen, Seat, Show, Theatre
from catalog.services import screen_create
from payments.models import Payment, PaymentStatus, Refund

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    email_verified = True  # a throwaway, unverified account says so: UserFactory(email_verified=False)
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    """A staff user with every catalogue and booking permission (a manager).

    ``StaffFactory(permissions=[])`` is staff with none; pass codenames such
    as ``["catalog.view_movie"]`` for a narrower role."""

    is_staff = True

    @factory.post_generation
    def permissions(obj, create, extracted, **kwargs):
        if not create:
            return
        from django.contrib.auth.models import Permission

        if extracted is None:
            perms = Permission.objects.filter(content_type__app_label__in=["catalog", "booking", "tickets"])
        else:
            pairs = [name.split(".", 1) for name in extracted]
            perms = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in pairs]
        obj.user_permissions.set(perms)


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie

    title = factory.Sequence(lambda n: f"Movie {n}")
    description = "A film."
    duration_mins = 120
    rating = "UA"
    language = "English"
    genres = factory.LazyFunction(lambda: ["Drama"])


class TheatreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theatre

    name = factory.Sequence(lambda n: f"Theatre {n}")
    city = "Mumbai"
    address = "1 Main Road"


class ScreenFactory(factory.django.DjangoModelFactory):
    """A screen with seats created from its layout (default 3 rows of 2+4+2)."""

    class Meta:
        model = Screen

    theatre = factory.SubFactory(TheatreFactory)
    name = factory.Sequence(lambda n: f"Screen {n}")
    layout = "SS_SSSS_SS\nPP_PPPP_PP\nRR____RR"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return screen_create(theatre=kwargs["theatre"], name=kwargs["name"], layout=kwargs["layout"])


class SeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seat

    screen = factory.SubFactory(ScreenFactory)
    row_label = "Z"
    number = factory.Sequence(lambda n: n + 1)
    seat_type = "STANDARD"
    row_index = 25
    column = factory.Sequence(lambda n: n)


class ShowFactory(factory.django.DjangoModelFactory):
    """A show starting tomorrow, created by booking.services.show_schedule."""

    class Meta:
        model = Show

    movie = factory.SubFactory(MovieFactory)
    screen = factory.SubFactory(ScreenFactory)
    start_time = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    prices = factory.LazyFunction(
        lambda: {"STANDARD": "200.00", "PREMIUM": "300.00", "RECLINER": "500.00", "ACCESSIBLE": "150.00"}
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from booking.services import show_schedule

        return show_schedule(**kwargs)


class ShowSeatFactory(factory.django.DjangoModelFactory):
    """Show seats normally come with their show; this is for odd cases only."""

    class Meta:
        model = ShowSeat

    show = factory.SubFactory(ShowFactory)
    seat = factory.SubFactory(SeatFactory, screen=factory.SelfAttribute("..show.screen"))


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    code = factory.Sequence(lambda n: f"TEST{n:04d}")
    user = factory.SubFactory(UserFactory)
    show = factory.SubFactory(ShowFactory)
    total = Decimal("0.00")
    currency = "INR"


class BookingSeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookingSeat

    booking = factory.SubFactory(BookingFactory)
    show_seat = factory.LazyAttribute(lambda o: o.booking.show.show_seats.first())
    seat_name = factory.LazyAttribute(lambda o: o.show_seat.seat.name)
    seat_type = factory.LazyAttribute(lambda o: o.show_seat.seat.seat_type)
    price = Decimal("200.00")


class IdempotencyRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdempotencyRecord

    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"key-{n}")
    request_hash = "0" * 64


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment of an order id that need not exist (payments do not know orders)."""

    class Meta:
        model = Payment

    order_id = factory.Sequence(lambda n: 1000 + n)
    provider = "test"
    amount = Decimal("770.80")
    currency = "INR"

    class Params:
        paid = factory.Trait(status=PaymentStatus.SUCCEEDED, succeeded_at=factory.LazyFunction(timezone.now))


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory, paid=True)
    amount = Decimal("100.00")
    currency = "INR"
    key = factory.Sequence(lambda n: f"refund-{n}")
