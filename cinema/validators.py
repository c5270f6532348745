"""Field validators shared by the apps."""

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Characters that end or break a line: ASCII controls (CR, LF, TAB, ...),
# DEL and the C1 controls, and Unicode's line and paragraph separators.
_LINE_BREAKERS = {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)} | {"\u2028", "\u2029", "\x85"}


@deconstructible
class SingleLineValidator:
    """Titles and names are one line: they go into email subjects and headers,
    where a CR/LF breaks (or injects into) the message."""

    message = "Must be a single line of text (no line breaks or control characters)."
    code = "single_line"

    def __call__(self, value):
        if isinstance(value, str) and any(ch in _LINE_BREAKERS for ch in value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, SingleLineValidator)


validate_single_line = SingleLineValidator()
