"""Werkzeug's development server as `serve` (without --workers) and the tests' live server run it:
the response of a request whose client dropped the connection is closed.

Werkzeug 3.1 skips closing it when the client's reset reaches the read after the response (a
browser leaving a page while an asset is sent): the static file stayed open until the garbage
collector found it, a file handle held meanwhile (and, in the tests, a ResourceWarning that failed
whichever test ran then). `closing(app)` keeps each response where `RequestHandler` finds it."""
from werkzeug.serving import WSGIRequestHandler

_RESPONSE = "citygrid.response"


def closing(app):
    """`app` keeping its response in the request's environ, for `RequestHandler`."""
    def wsgi(environ, start_response):
        response = environ[_RESPONSE] = app(environ, start_response)
        return response
    return wsgi


class RequestHandler(WSGIRequestHandler):
    def connection_dropped(self, error, environ=None):
        response = (environ or {}).get(_RESPONSE)
        if hasattr(response, "close"):
            response.close()
