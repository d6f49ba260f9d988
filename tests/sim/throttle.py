"""AWS's request throttling: token buckets per account and Region.

Off unless asked for (`Simulator(throttle=True)`, or `enable(engine)`): most
tests want the API always to answer. With it on, every AWS request takes a
token from its action's bucket; a request finding the bucket empty gets the
service's throttling error (ECS: HTTP 400 `ThrottlingException` "Rate
exceeded"; Auto Scaling: HTTP 400 `Throttling`; EC2: `RequestLimitExceeded`,
see faults.error_response) and is counted per action. Buckets refill
continuously with AWS time (the simulator's clock), so a time-scaled run is
throttled per simulated second as AWS throttles per real one.

Where the figures come from:
  ECS   "Request throttling for the Amazon ECS API"
        (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html):
        token buckets per account and Region, bucket maximum capacity = burst
        rate, refill rate = sustained rate; its example: cluster read actions
        (DescribeClusters) hold 50 tokens and refill 20 per second.
        DescribeContainerInstances and DescribeTasks share one bucket of about
        20 requests per second (the project's AWS reference); its size is
        taken as the documented read example's 50. The other ECS actions get
        the documented example's 50/20, one bucket each (AWS does not publish
        them per action).
  EC2   "Request throttling for the Amazon EC2 API"
        (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html):
        one bucket per API; non-mutating actions (its example DescribeHosts)
        hold 100 tokens and refill 20 per second.
  Auto Scaling  one bucket for every action: "Amazon EC2 Auto Scaling throttles
        API requests based on a shared API bucket. For example, calls to the
        DescribeAutoScalingGroups and DescribeScheduledActions API operations
        use tokens from the same bucket" (Amazon EC2 Auto Scaling API
        Reference, Welcome, "API request rate",
        https://docs.aws.amazon.com/autoscaling/ec2/APIReference/Welcome.html;
        "all Amazon EC2 Auto Scaling API calls have a single, shared API
        limit", AWS Knowledge Center, "autoscaling-api-calls-throttled"). So
        SetInstanceProtection, SetDesiredCapacity, the lifecycle calls and the
        Describe polls of a rollout take from one bucket. Its size and refill
        are not published: assumed like ECS's documented example, 50 tokens,
        20 per second.
"""
import threading

ECS_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html"
EC2_DOC = "https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html"

# (bucket, actions sharing it, capacity, refill per AWS second, source)
BUCKETS = (
    ("ecs:cluster-read", ("ecs:DescribeClusters", "ecs:ListClusters"), 50, 20.0,
     f"documented example ({ECS_DOC})"),
    ("ecs:instance-task-describe", ("ecs:DescribeContainerInstances", "ecs:DescribeTasks"), 50, 20.0,
     "shared, about 20/s (project AWS reference); size as the documented read example"),
)
# One bucket per action for everything else, by service.
DEFAULTS = {
    "ecs": (50, 20.0, "assumed: the documented example's 50/20"),
    "ec2": (100, 20.0, f"documented for non-mutating actions ({EC2_DOC})"),
    "autoscaling": (50, 20.0, "assumed (not published): ECS's documented 50/20, one bucket shared by every "
                    "action (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/Welcome.html)"),
    "sts": (50, 20.0, "assumed (not published)"),
}
# Services whose actions all take from one bucket (the service's DEFAULTS entry).
SERVICE_WIDE = frozenset({"autoscaling"})


class Bucket:
    __slots__ = ("name", "capacity", "refill", "tokens", "at", "source")

    def __init__(self, name, capacity, refill, now, source=""):
        self.name = name
        self.capacity = float(capacity)
        self.refill = float(refill)
        self.tokens = float(capacity)
        self.at = now
        self.source = source

    def take(self, now):
        """True if a token was there (and is taken)."""
        if now > self.at:
            self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.refill)
            self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Throttle:
    """The buckets of one account and Region. `now` is a callable giving AWS
    seconds (the simulator clock); thread-safe (its own lock)."""

    def __init__(self, now, buckets=BUCKETS, defaults=None, service_wide=SERVICE_WIDE):
        self._now = now
        self._service_wide = frozenset(service_wide)
        self._lock = threading.Lock()
        self._defaults = dict(DEFAULTS if defaults is None else defaults)
        self._shared = {}   # "ecs:DescribeTasks" -> Bucket
        self._own = {}      # per-action buckets, made on first use
        t = now()
        for name, actions, capacity, refill, source in buckets:
            b = Bucket(name, capacity, refill, t, source)
            for a in actions:
                self._shared[a] = b
        self.throttled = {}  # "ecs:DescribeTasks" -> count
        self.allowed = 0

    def _bucket(self, name, service, now):
        if service in self._service_wide:
            name = f"{service}:*"
        b = self._shared.get(name) or self._own.get(name)
        if b is None:
            spec = self._defaults.get(service)
            if spec is None:
                return None
            b = self._own[name] = Bucket(name, spec[0], spec[1], now, spec[2])
        return b

    def take(self, service, action):
        """True if the request may go on; False if AWS would throttle it."""
        name = f"{service}:{action}"
        with self._lock:
            now = self._now()
            b = self._bucket(name, service, now)
            if b is None or b.take(now):
                self.allowed += 1
                return True
            self.throttled[name] = self.throttled.get(name, 0) + 1
            return False

    def stats(self):
        with self._lock:
            return dict(sorted(self.throttled.items(), key=lambda kv: -kv[1]))


def bucket_of(name, buckets=BUCKETS, defaults=None):
    """(capacity, refill per AWS second, source) of the bucket that throttles
    the action "service:Action"; None if it is not throttled."""
    for _, actions, capacity, refill, source in buckets:
        if name in actions:
            return capacity, refill, source
    spec = (DEFAULTS if defaults is None else defaults).get(name.split(":", 1)[0])
    return tuple(spec) if spec else None


def floor_seconds(calls, name, buckets=BUCKETS, defaults=None):
    """The least AWS time `calls` requests of one action take against its
    bucket, however they are spread: a full bucket, then its refill rate (a
    lower bound when other actions share the bucket, SERVICE_WIDE)."""
    spec = bucket_of(name, buckets, defaults)
    if spec is None or calls <= spec[0]:
        return 0.0
    return (calls - spec[0]) / spec[1]


def enable(engine, buckets=BUCKETS, defaults=None):
    """Throttles the simulator's AWS requests from now on (fresh, full buckets)."""
    engine.throttle = Throttle(engine.now, buckets, defaults)
    return engine.throttle


def disable(engine):
    engine.throttle = None


def stats(engine):
    """{"ecs:DescribeTasks": throttled requests, ...}; {} when off."""
    t = getattr(engine, "throttle", None)
    return t.stats() if t is not None else {}
