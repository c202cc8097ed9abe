"""The REST API (`/api/v1`, JSON, bearer tokens) and its OpenAPI document and browsable page
(`/api/openapi.json`, `/api/docs`). Thin views over the same services as the CLI and the web UI."""
from .errors import API_PREFIX as PREFIX, refusal_response  # noqa: F401  (app.py answers commit errors with it)


def init_app(app):
    """Register the API blueprints and JSON errors for /api/ paths."""
    from . import docs, errors, views  # noqa: F401  (views register their routes on import)
    from .blueprint import bp

    app.register_blueprint(bp)
    app.register_blueprint(docs.bp)
    app.register_error_handler(errors.HTTPException, errors.http_error)
