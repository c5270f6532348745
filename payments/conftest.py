import pytest


@pytest.fixture(autouse=True)
def payments_off():
    """The payments layer's own tests run with the product's settings (PAYMENT_PROVIDER=test)."""
