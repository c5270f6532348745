import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from payments import conf

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_parse(settings):
    conf.check()
    assert conf.fee_per_seat() == D("30.00")
    assert conf.tax_rate() == D("0.18")
    assert conf.provider_name() == "test"
    assert len(conf.cancellation_policy()) == 2


@pytest.mark.parametrize(
    "name, value",
    [
        ("CANCELLATION_POLICY", "24h:50,2h:100"),
        ("CANCELLATION_POLICY", "soon:100"),
        ("BOOKING_FEE_PER_SEAT", "abc"),
        ("BOOKING_FEE_PER_SEAT", "-1"),
        ("BOOKING_FEE_PER_SEAT", "1.005"),
        ("TAX_RATE", "18"),
        ("TAX_RATE", "NaN"),
        ("PAYMENT_PROVIDER", "paypal"),
        ("PAYMENT_WINDOW_SECONDS", 0),
        ("PAYMENT_PROVIDER", "stripe"),  # without STRIPE_API_KEY / STRIPE_WEBHOOK_SECRET
    ],
)
def test_bad_values_are_improperly_configured_with_the_setting_name(settings, name, value):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        conf.check()


def _manage_check(**extra):
    env = {**os.environ, "DEBUG": "true", **extra}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_bad_policy_stops_the_app_at_startup():
    result = _manage_check(CANCELLATION_POLICY="24h:100,2h:150")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "CANCELLATION_POLICY" in result.stderr


def test_the_webhook_secret_is_required_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k != "PAYMENT_WEBHOOK_SECRET"}
    env.update(DEBUG="false", SECRET_KEY="x" * 60, JWT_PRIVATE_KEY="unused", JWT_PUBLIC_KEY="unused")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "PAYMENT_WEBHOOK_SECRET is required" in result.stderr
