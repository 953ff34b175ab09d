"""The one import gate of Airflow for this package: a missing extra becomes install advice.

Modules of the adapter import the task SDK as ``from ._af import sdk`` (``sdk.BaseOperator``,
``sdk.Asset``...), never ``airflow`` directly at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..extras import require

if TYPE_CHECKING:  # pragma: no cover
    import airflow.sdk as sdk
else:
    sdk = require("airflow.sdk", purpose="the odibi Airflow provider (odibi_provider.airflow)")

__all__ = ["sdk"]
