"""Settings for bench/load.py's gunicorn: the production settings, plus the
bare insert view (bench/load_urls.py) that the product's URLs never carry."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"
