"""Check-in API: ``POST /api/v1/checkins {code}`` (SPEC 7.2)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cinema.api import UTCDateTimeField, errors
from cinema.permissions import StaffModelPermissions
from tickets import services
from tickets.models import CheckIn


class CheckInCreateApi(APIView):
    permission_classes = [StaffModelPermissions]
    permission_model = CheckIn

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=64, help_text="The ticket code (typed, or read from the QR).")

    class OutputSerializer(serializers.Serializer):
        order = serializers.SerializerMethodField()
        seats = serializers.ListField(child=serializers.CharField())
        admitted_at = UTCDateTimeField()
        first = serializers.BooleanField()

        def get_order(self, admission) -> dict:
            booking = admission.booking
            return {
                "id": booking.pk,
                "code": booking.code,
                "status": booking.status,
                "show_id": booking.show_id,
                "movie": booking.show.movie.title,
                "theatre": booking.show.screen.theatre.name,
                "screen": booking.show.screen.name,
                "starts_at": UTCDateTimeField().to_representation(booking.show.start_time),
            }

    @extend_schema(
        operation_id="checkins_create",
        summary="Admit a ticket at the door (staff); one admission per order",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **errors(
                400,
                401,
                403,
                404,
                503,
                e409="ALREADY_CHECKED_IN (with `admitted_at` of the first admission) or NOT_ADMISSIBLE "
                "(cancelled, expired or unpaid order, or a show on another day).",
            ),
        },
        tags=["check-in"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        admission = services.checkin_record(code=data.validated_data["code"], staff=request.user)
        return Response(self.OutputSerializer(admission).data)
