"""drf-spectacular tweaks."""

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    """Name the nested ``InputSerializer``/``OutputSerializer`` of each view after
    the view (``LoginApi.InputSerializer`` -> ``LoginInput``) so components do
    not collide."""

    def get_serializer_name(self, serializer, direction):
        qualname = type(serializer).__qualname__.split(".")
        if len(qualname) >= 2 and qualname[-2].endswith("Api"):
            return qualname[-2].removesuffix("Api") + qualname[-1].removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)
