"""The cluster simulator: moto plus EC2/Auto Scaling/ECS dynamics, a ledger of
what happened to the services, and fault injection. See README.md."""
from .warmup import SharedRegionLists

with SharedRegionLists():  # moto's import asks boto3 for the same Region lists three times
    from .scenario import ScenarioError, critical_path, load as load_scenario
    from .simulator import Simulator

__all__ = ["Simulator", "ScenarioError", "critical_path", "load_scenario"]
