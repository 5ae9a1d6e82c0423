"""Piccolo's configuration: the engine from DATABASE_URL and the catalog's app."""

from piccolo.conf.apps import AppRegistry

from tables.engine import database_url, engine_from_url

DB = engine_from_url(database_url())

APP_REGISTRY = AppRegistry(apps=["tables.piccolo_app"])
