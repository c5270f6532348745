"""The "Box office" staff group: what a box-office clerk needs in the admin.

Look up the programme (movies, theatres, screens, shows), schedule and re-price
shows, look up bookings and cancel them (the change permission is what the
"Cancel selected bookings" action asks for; bookings themselves stay read-only),
and look up customers. No editing of movies, theatres, screens or users, and no
deleting anything. Give a user this group and tick "staff status".
"""

from django.db import migrations

GROUP = "Box office"
PERMISSIONS = [
    ("catalog", "view_movie"),
    ("catalog", "view_theatre"),
    ("catalog", "view_screen"),
    ("catalog", "view_show"),
    ("catalog", "add_show"),
    ("catalog", "change_show"),
    ("booking", "view_booking"),
    ("booking", "change_booking"),
    ("booking", "view_bookingseat"),
    ("accounts", "view_user"),
]


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations have run; make sure
    # they exist now, on a fresh database too.
    for app_config in apps.get_app_configs():
        if getattr(app_config, "models_module", None) is None:  # a migration's frozen app state
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        else:
            create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0001_initial"),
        ("catalog", "0001_initial"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
