from urllib.parse import urlsplit


def is_local_path(target: str | None) -> bool:
    """True only for a path on this site: '/x?y', never '//evil', 'https://evil' or '/\\evil'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)
