from django.contrib import admin
from django.urls import path

from tickets.views_reports import report_view

urlpatterns = [path("", admin.site.admin_view(report_view), name="admin-reports")]
