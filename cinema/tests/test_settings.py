import os
import subprocess
import sys
from pathlib import Path

from cinema.keys import generate_key_pair

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra):
    private, public = generate_key_pair("RS256")
    dropped = {"DEBUG", "SECRET_KEY", "PAYMENT_WEBHOOK_SECRET", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="false",
        SECRET_KEY="x" * 60 + "-production-like-secret-key-for-the-deploy-check",
        PAYMENT_WEBHOOK_SECRET="whsec_production-like-webhook-secret",
        # One-line form with \n escapes, as a .env file or a container env would carry it.
        JWT_PRIVATE_KEY=private.replace("\n", "\\n"),
        JWT_PUBLIC_KEY=public,
        ALLOWED_HOSTS="cinema.example.com",
        **extra,
    )
    return env


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_and_jwt_keys_are_required_when_debug_is_off():
    env = production_env()
    del env["SECRET_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr
    env = production_env()
    del env["JWT_PRIVATE_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0 and "JWT_PRIVATE_KEY" in result.stderr


def test_models_and_migrations_agree():
    env = {**os.environ, "DEBUG": "true"}
    result = run_manage("makemigrations", "--check", "--dry-run", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_container_entrypoint_creates_missing_secrets_once_and_reuses_them(tmp_path):
    env = production_env(SECRETS_DIR=str(tmp_path / "secrets"), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    for name in ("SECRET_KEY", "PAYMENT_WEBHOOK_SECRET", "JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"):
        env.pop(name, None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    show = "from django.conf import settings as s; print(s.SECRET_KEY, s.SIMPLE_JWT['VERIFYING_KEY'].splitlines()[1])"
    command = ["sh", "docker/entrypoint.sh", "python", "manage.py", "shell", "-c", show]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.stdout.splitlines()[-1] == first.stdout.splitlines()[-1]
    assert sorted(p.name for p in (tmp_path / "secrets").iterdir()) == [
        ".lock",
        "jwt-rs256.pem",
        "jwt-rs256.pub.pem",
        "payment_webhook_secret",
        "secret_key",
    ]


def test_containers_starting_together_get_the_same_secrets_and_one_key_pair(tmp_path):
    """The app, relay and audit containers start at once on one secrets volume."""
    env = production_env(SECRETS_DIR=str(tmp_path / "secrets"), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    for name in ("SECRET_KEY", "PAYMENT_WEBHOOK_SECRET", "JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"):
        env.pop(name, None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["MIGRATE"] = "false"
    script = (
        "python -c \"import os, jwt; t = jwt.encode({}, os.environ['JWT_PRIVATE_KEY'], algorithm='RS256'); "
        "jwt.decode(t, os.environ['JWT_PUBLIC_KEY'], algorithms=['RS256']); "
        "print(os.environ['SECRET_KEY'], os.environ['JWT_PUBLIC_KEY'].splitlines()[1])\""
    )
    command = ["sh", "docker/entrypoint.sh", "sh", "-c", script]
    starts = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120) for process in starts]
    assert all(process.returncode == 0 for process in starts), [err for _, err in outputs]
    assert len({out.strip() for out, _ in outputs}) == 1


def test_container_entrypoint_skips_migrations_for_workers(tmp_path):
    """MIGRATE=false (the relay and audit containers): only the app migrates."""
    env = production_env(SECRETS_DIR=str(tmp_path / "secrets"), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["MIGRATE"] = "false"
    check = "from django.db import connection; print(sorted(connection.introspection.table_names()))"
    command = ["sh", "docker/entrypoint.sh", "python", "manage.py", "shell", "-c", check]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
