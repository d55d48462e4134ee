"""The API fixtures, for the export and erasure calls."""

from tests.api.conftest import api_client, make_token  # noqa: F401  (fixtures)
