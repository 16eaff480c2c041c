"""Live progress: Postgres NOTIFY -> one listener per process -> hub -> websocket viewers."""


def shutdown_hook() -> None:
    """Called by the gunicorn worker when it is asked to stop."""
    from .hub import current_hub

    hub = current_hub()
    if hub is not None:
        hub.shutdown()
