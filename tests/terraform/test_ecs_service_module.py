"""`terraform test` of modules/ecs-service against a mocked AWS provider: the
variable validations and preconditions (each with its message), the task
definition's container and the service's deployment, placement and load
balancer settings."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import tflib  # noqa: E402


class EcsServiceModule(tflib.module_test_class("ecs-service")):
    pass


if __name__ == "__main__":
    testlib.main()
