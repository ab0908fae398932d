"""The languages the patient app speaks: the API's profile `language` values."""

LANGUAGES = ("en", "de", "fr", "es")
