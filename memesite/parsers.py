"""Reading JSON from clients, in the body or in a form's field.

Python's json module recurses once per level of nesting: text nested deeper than the interpreter's stack (100,000
`[`) raises RecursionError, which DRF lets through as a 500. Here it is a parse error like any other bad JSON.
"""

from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - it is nested too deeply.") from error


class JSONField(serializers.JSONField):
    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except RecursionError:
            self.fail("invalid")
