"""Argon2id with the RFC 9106 / OWASP low-memory parameters.

Django's Argon2PasswordHasher uses 100 MiB and 8 lanes per hash; each gunicorn
thread hashing a password at once adds that to its worker, so a login burst
took the 2-worker app to about 500 MB per worker (docs/performance.md).
OWASP's Password Storage Cheat Sheet lists m=19 MiB, t=2, p=1 as a minimum
Argon2id configuration, RFC 9106 allows it for memory-constrained servers,
and a hash costs about a fifth of the memory and CPU time.

The algorithm name stays "argon2": hashes made with Django's defaults still
verify (Argon2 reads its parameters from the hash) and are re-hashed with
these on the user's next successful login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2PasswordHasher


class Argon2PasswordHasher(DjangoArgon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
