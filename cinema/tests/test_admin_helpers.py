"""The Django admin hooks cinema/admin_helpers.py relies on. These are Django
internals: if an upgrade moves them, this fails before the admin breaks."""

import inspect

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList

from cinema.admin_helpers import LocalDateHierarchyChangeList, ReadOnlyAdmin, ServicesOwnTheTransactionMixin


def test_the_admin_still_wraps_its_views_in_a_transaction_we_step_around():
    for public, inner in [("changeform_view", "_changeform_view"), ("delete_view", "_delete_view")]:
        source = inspect.getsource(getattr(admin.ModelAdmin, public))
        assert "transaction.atomic" in source and inner in source
        assert list(inspect.signature(getattr(admin.ModelAdmin, inner)).parameters) == list(
            inspect.signature(getattr(ServicesOwnTheTransactionMixin, public)).parameters
        )


def test_the_change_list_hooks_the_local_date_hierarchy_uses():
    assert issubclass(LocalDateHierarchyChangeList, ChangeList)
    assert list(inspect.signature(ChangeList.get_query_string).parameters) == ["self", "new_params", "remove"]
    for attribute in ("date_hierarchy", "params", "queryset"):
        assert attribute in inspect.getsource(ChangeList.__init__) or attribute in inspect.getsource(ChangeList)


def test_read_only_admin_refuses_every_write():
    from django.contrib.auth.models import Group

    model_admin = ReadOnlyAdmin(Group, admin.site)
    assert not model_admin.has_add_permission(None)
    assert not model_admin.has_change_permission(None)
    assert not model_admin.has_delete_permission(None)


def test_the_templates_the_local_date_hierarchy_fills_in():
    from pathlib import Path

    from django.template.loader import get_template

    def source(name):
        return Path(get_template(name).origin.name).read_text()

    assert "{% block date_hierarchy %}" in source("admin/change_list.html")
    drill_down = source("admin/date_hierarchy.html")
    assert all(name in drill_down for name in ("show", "back.link", "back.title", "choices", "choice.link"))
