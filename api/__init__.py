"""The REST API (`/api/v1`, JSON, bearer tokens) and its OpenAPI document and browsable page
(`/api/openapi.json`, `/api/docs`). Thin views over the same services as the CLI and the web UI."""


def init_app(app):
    """Register the API blueprints, JSON errors for /api/ paths, and the token/client/camera commands."""
    from . import cli, docs, errors, views  # noqa: F401  (views register their routes on import)
    from .blueprint import bp

    app.register_blueprint(bp)
    app.register_blueprint(docs.bp)
    app.register_error_handler(errors.HTTPException, errors.http_error)
    cli.init_app(app)
