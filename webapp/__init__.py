"""VisionBench: which vision model extracts structured JSON from your images best."""

from __future__ import annotations

import logging

from flask import Flask

from .config import ensure_secret_key, load_config

PRODUCT_NAME = "VisionBench"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    _configure_settings(app, config)
    _configure_logging(app)
    _configure_database(app)
    _configure_security(app)
    _configure_login(app)
    _configure_templates(app)
    _configure_blueprints(app)
    _configure_icon(app)
    _configure_realtime(app)
    _configure_errors(app)
    return app


def _configure_settings(app: Flask, overrides: dict | None) -> None:
    from .security import SESSION_SETTINGS

    # Whole requests: ten 10 MB images and the form around them. (Flask's own default is no limit.)
    app.config.update(SESSION_SETTINGS, MAX_CONTENT_LENGTH=120 * 1024 * 1024)
    app.config.update(load_config())
    app.config.update(overrides or {})  # given to create_app: wins over everything
    if not app.config.get("DATABASE_URL"):
        raise RuntimeError(
            "DATABASE_URL is not set. Start the app with `visionbench serve` (it runs an embedded "
            "PostgreSQL) or point DATABASE_URL at a PostgreSQL 14+ server."
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret_key(app.config["DATA_DIR"])


def _configure_logging(app: Flask) -> None:
    if not app.debug and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _configure_database(app: Flask) -> None:
    from . import db

    db.init_app(app)


def _configure_security(app: Flask) -> None:
    from .security import init_app

    init_app(app)


def _configure_login(app: Flask) -> None:
    from .auth import init_login

    init_login(app)


def _configure_templates(app: Flask) -> None:
    from .catalog import load_catalog
    from .domain import OUTPUT_MODE_LABELS, RunStatus
    from .formatting import register_filters

    app.extensions["catalog"] = load_catalog(app.config.get("CATALOG_FILE"))
    register_filters(app)
    app.jinja_env.globals.update(product_name=PRODUCT_NAME, RunStatus=RunStatus, output_mode_labels=OUTPUT_MODE_LABELS)


def _configure_blueprints(app: Flask) -> None:
    from .api.views import bp as api_bp
    from .auth.account_views import bp as account_bp
    from .auth.views import bp as auth_bp
    from .benchmarks.views import bp as benchmarks_bp
    from .health import bp as health_bp
    from .reports.rerun_and_compare import bp as iterate_bp
    from .reports.views import bp as reports_bp

    for bp in (auth_bp, account_bp, health_bp, reports_bp, iterate_bp, benchmarks_bp, api_bp):
        app.register_blueprint(bp)


def _configure_icon(app: Flask) -> None:
    # Pages name their icon (favicon.svg); browsers still ask /favicon.ico for anything else they show.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))


def _configure_realtime(app: Flask) -> None:
    from . import realtime

    realtime.init_app(app)


def _configure_errors(app: Flask) -> None:
    from .errors import init_app

    init_app(app)
