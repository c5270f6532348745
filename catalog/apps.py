from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cinema import readcache

        readcache.connect_catalog_signals()  # catalogue writes move the cached reads' versions
