"""The JSON API (`/api/v1/…`), authenticated by personal API tokens only: see docs/api.md."""
