
import pytest

# The real-Redis fixture lives with the other service tests; conftests of sibling
# folders do not share fixtures, so it is re-exported here.
from tests.conftest import captured
from tests.services.conftest import redis_url  # noqa: F401


@pytest.fixture
def notices_log(caplog):
    """Records of the notifications logger."""
    with captured(caplog, "safety_portal.notifications") as log:
        yield log
