"""Fixtures for the evaluate tests; the data builders live in ``evaluate_shop``."""

from __future__ import annotations

import pandas as pd
import pytest
from evaluate_shop import make_shop, shop_metadata


@pytest.fixture(scope="session")
def metadata() -> dict:
    return shop_metadata()


@pytest.fixture(scope="session")
def shop() -> dict[str, pd.DataFrame]:
    return make_shop(300, seed=0)
