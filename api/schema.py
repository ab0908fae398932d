"""How drf-spectacular reads our serializers (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS)."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class DiaryAutoSchema(AutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # A model serializer answers every field it has, optional on input or
        # not (`id`, `note`...): say so, or generated clients carry `X | Unset`.
        if direction == "response" and isinstance(serializer, serializers.ModelSerializer):
            schema["required"] = list(schema.get("properties", {}))
        return schema
