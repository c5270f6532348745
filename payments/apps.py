from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # A bad fee, tax rate, policy or provider fails at startup, not at the first sale.
        from payments import conf

        conf.check()
