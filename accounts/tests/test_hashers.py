from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2
from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from accounts.hashers import Argon2PasswordHasher

OURS = ["accounts.hashers.Argon2PasswordHasher"]


def test_new_hashes_use_owasp_parameters(settings):
    settings.PASSWORD_HASHERS = OURS
    encoded = make_password("s3cret-pass!")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("s3cret-pass!", encoded) and not check_password("wrong", encoded)
    assert isinstance(identify_hasher(encoded), Argon2PasswordHasher)


def test_hashes_made_with_djangos_defaults_still_verify_and_get_upgraded(settings):
    settings.PASSWORD_HASHERS = OURS
    old = DjangoArgon2().encode("s3cret-pass!", DjangoArgon2().salt())
    assert "m=102400" in old and "p=8" in old
    upgraded = []
    assert check_password("s3cret-pass!", old, setter=upgraded.append)
    assert upgraded == ["s3cret-pass!"]  # re-hashed with the new parameters on login
