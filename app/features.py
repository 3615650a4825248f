"""The list of features. Registering one imports its models and blueprint and adds its menu entries."""

from __future__ import annotations

from flask import Flask


def register_all(app: Flask) -> None:
    from . import idempotency  # noqa: F401 - its table belongs to every feature
    from .api import routes as api_routes
    from .auth import routes as auth_routes
    from .locations import routes as location_routes
    from .pwa import routes as pwa_routes
    from .scanning import conflicts as scan_conflicts
    from .scanning import routes as scanning_routes
    from .stock import cli as stock_cli
    from .stock import routes as stock_routes
    from .web import routes as web_routes

    app.register_blueprint(web_routes.bp)
    app.register_blueprint(auth_routes.bp)
    app.register_blueprint(auth_routes.admin_bp)
    app.register_blueprint(location_routes.bp)
    app.register_blueprint(scanning_routes.bp)
    app.register_blueprint(api_routes.bp)
    app.register_blueprint(api_routes.profile_bp)
    app.register_blueprint(pwa_routes.bp)
    scan_conflicts.register(app)

    auth_routes.add_menu(app)
    location_routes.add_menu(app)
    api_routes.add_menu(app)
    scanning_routes.register_kinds(app)
    stock_routes.register(app)
    stock_cli.register(app)
    scanning_routes.add_menu(app)
    _register_assets(app)
    _register_dashboard(app)
    _register_labels_and_csv(app)


def _register_assets(app: Flask) -> None:
    from .assets import demo as asset_demo
    from .assets import routes as asset_routes
    from .demo import add_step
    from .maintenance import routes as maintenance_routes
    from .scanning.registry import register_kind, register_unknown_offer

    app.register_blueprint(asset_routes.bp)
    app.register_blueprint(maintenance_routes.bp)
    asset_routes.add_menu(app)
    maintenance_routes.add_menu(app)
    register_kind(app, "asset", asset_routes.describe_asset)
    register_kind(app, "kit", asset_routes.describe_kit)
    register_kind(app, "person", asset_routes.describe_person)
    app.extensions.setdefault("storekeeper_item_facts", []).append(asset_routes.rental_stock_facts)
    register_unknown_offer(app, asset_routes.offer_registration)
    app.extensions.setdefault("storekeeper_location_panels", []).append(asset_routes.location_panel)
    add_step(app, "assets, loans, reservations and maintenance", asset_demo.seed)
    asset_routes.register_cli(app)


def _register_dashboard(app: Flask) -> None:
    from .dashboard import routes as dashboard_routes
    from .notifications import models as notification_models  # noqa: F401 - the notification table
    from .notifications import routes as notification_routes

    app.register_blueprint(dashboard_routes.bp)
    dashboard_routes.add_menu(app)
    app.register_blueprint(notification_routes.bp)
    notification_routes.add_menu(app)
    notification_routes.register_cli(app)
    from .reports import routes as report_routes

    app.register_blueprint(report_routes.bp)
    report_routes.add_menu(app)
    from .demo import add_step
    from .notifications.services import seed_demo as notification_demo

    add_step(app, "the managers' first digest", notification_demo)


def _register_labels_and_csv(app: Flask) -> None:
    from .csvio import cli as csv_cli
    from .csvio import routes as csv_routes
    from .labels import routes as label_routes

    app.register_blueprint(label_routes.bp)
    app.register_blueprint(csv_routes.bp)
    label_routes.add_menu(app)
    csv_routes.add_menu(app)
    csv_cli.register(app)
