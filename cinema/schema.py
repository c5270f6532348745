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


_COMMON_ERRORS = {
    "429": "THROTTLED (with Retry-After): too many requests.",
    "503": "LOCK_TIMEOUT or SERVICE_UNAVAILABLE (with Retry-After): try again shortly.",
}
_BODY_ERRORS = {
    "413": "PAYLOAD_TOO_LARGE: the body is over DATA_UPLOAD_MAX_MEMORY_SIZE.",
    "415": "UNSUPPORTED_MEDIA_TYPE: send application/json.",
}


def add_common_errors(result, generator, request, public):
    """Postprocessing hook: every API operation can be throttled (429) or find
    the database busy or away (503); every one with a body can get 413/415.
    All in the error envelope."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            extra = dict(_COMMON_ERRORS, **(_BODY_ERRORS if "requestBody" in operation else {}))
            for code, text in extra.items():
                responses.setdefault(code, {"description": text, **error})
            operation["responses"] = dict(sorted(responses.items()))
    return result
