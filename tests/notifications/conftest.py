import logging

import pytest

# The real-Redis fixture lives with the other service tests; conftests of sibling
# folders do not share fixtures, so it is re-exported here.
from tests.services.conftest import redis_url  # noqa: F401


@pytest.fixture
def notices_log(caplog):
    """Records of the notifications logger (it does not propagate to the root)."""
    logger = logging.getLogger("safety_portal.notifications")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
