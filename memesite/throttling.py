"""Throttles by action. Its own module: DRF imports throttle classes while it defines APIView."""

from rest_framework.throttling import ScopedRateThrottle


class ActionRateThrottle(ScopedRateThrottle):
    """A rate for the actions a view names in `throttle_actions` ({"create": "generate", "vote": "vote"}), counted
    per user, or per address for anonymous callers; other actions pass."""

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_actions", {}).get(getattr(view, "action", None))
        if scope is None:
            return True
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super(ScopedRateThrottle, self).allow_request(request, view)
