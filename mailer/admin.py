from django.contrib import admin

from cinema.admin_helpers import ReadOnlyAdmin
from mailer.models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    fields = list_display + ["params"]
    readonly_fields = fields
