"""Websockets without permessage-deflate.

simple-websocket accepts compression whenever the browser offers it, and every compressed
socket keeps its own zlib state: about 90 KB more per idle viewer. The progress partial is a
few KB, sent at most ~10 times a second, so memory per viewer matters more than bandwidth.
Dropping the offer before the handshake makes both sides speak plain frames.
"""


class NoWebsocketCompression:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)
