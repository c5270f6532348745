"""The "Box office" group also checks tickets in at the door (and sees the
admissions): add_checkin and view_checkin."""

from django.db import migrations

PERMISSIONS = ["add_checkin", "view_checkin"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("tickets")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Box office")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="tickets", codename__in=PERMISSIONS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Box office"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="tickets", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("booking", "0002_box_office_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
