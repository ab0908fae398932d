"""The clinic's outcomes: the query it takes and the figures it answers (no patient in it)."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from diary.services.outcomes import GROUP_BY

DEFAULT_DAYS = 365


class OutcomesQuerySerializer(serializers.Serializer):
    """`from` and `to` are UTC calendar days of the treatments, both included;
    by default the year up to today."""

    # `from` is a Python keyword: declared below.
    to = serializers.DateField(required=False)
    group_by = serializers.ChoiceField(choices=GROUP_BY, required=False, default="approach")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)
        return fields

    def validate(self, attrs):
        end = attrs.get("to") or timezone.now().astimezone(dt.UTC).date()
        start = attrs.get("from") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"from": [_("Must not be after `to`.")]})
        return {"start": start, "end": end, "group_by": attrs["group_by"]}


class ShareSerializer(serializers.Serializer):
    k = serializers.IntegerField(help_text="How many had it.")
    n = serializers.IntegerField(help_text="Out of how many.")
    share = serializers.FloatField(allow_null=True, help_text="k / n; null when n is 0.")
    ci95 = serializers.ListField(
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        allow_null=True,
        help_text="95 % Wilson score interval [low, high]; null when n is 0.",
    )


class CurvePointSerializer(serializers.Serializer):
    day = serializers.IntegerField(help_text="Whole days since the treatment.")
    at_risk = serializers.IntegerField(help_text="Still followed and relapse-free at its start.")
    survival = serializers.FloatField(help_text="Kaplan-Meier relapse-free estimate, 0-1.")


class OutcomeSerializer(serializers.Serializer):
    treatments = serializers.IntegerField(help_text="Live treatments in the period.")
    evaluable = ShareSerializer(
        help_text="At least 3 upright entries in the 7 days after; n: treatments."
    )
    improved_72h = ShareSerializer(help_text="Improved by 72 h; n: evaluable.")
    improved_7d = ShareSerializer(help_text="Improved within 7 days; n: evaluable.")
    relapsed = ShareSerializer(
        help_text="Relapse proven later; n: evaluable treatments improved within 7 days."
    )
    pgic_responders = ShareSerializer(
        help_text="PGIC 1 or 2 (much or very much improved) at the 7-day checkpoint; "
        "n: treatments with a live 7-day answer."
    )
    median_days_to_relapse = serializers.FloatField(
        allow_null=True, help_text="Median days from treatment to the relapse proof."
    )
    relapse_free = CurvePointSerializer(
        many=True, help_text="Kaplan-Meier relapse-free curve of the `relapsed` treatments."
    )
    small_numbers = serializers.BooleanField(
        help_text="Fewer than 20 evaluable treatments: read the intervals, not the shares."
    )


class GroupOutcomeSerializer(OutcomeSerializer):
    group = serializers.CharField(help_text="The group's key (e.g. `targeted`, `10_to_20`).")
    label = serializers.CharField()

    def to_representation(self, instance):
        return {
            "group": instance.key,
            "label": instance.label,
            **OutcomeSerializer(instance.outcome).data,
        }


class ClinicOutcomesSerializer(serializers.Serializer):
    # `from` is a Python keyword: declared in get_fields.
    to = serializers.DateField(source="end")
    group_by = serializers.ChoiceField(choices=GROUP_BY)
    overall = OutcomeSerializer()
    groups = GroupOutcomeSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields = {"from": serializers.DateField(source="start"), **fields}
        return fields
