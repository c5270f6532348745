class InvalidEvent(ValueError):
    """A message that is not an event envelope of SPEC 7.3."""
