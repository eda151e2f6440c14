"""JSON of the host API: datetimes with their microseconds.

Django's encoder cuts datetimes to milliseconds; a host that polls with
``updated_after=<the last updated_at it saw>`` would then get that item again (and could miss
nothing, but would be confused). Full precision makes the value it saw the exact boundary.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


class PreciseJSONEncoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class PreciseJSONRenderer(JSONRenderer):
    encoder_class: type[json.JSONEncoder] = PreciseJSONEncoder
