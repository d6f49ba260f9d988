"""terraform and the Terraform AWS provider are the versions tests/requirements.txt
pins (the Terraform tests are known to work with those), and the provider is
found the way Terraform finds it (tests/lib/stack.py): what `make test`
checks first, kept true where the Terraform tests run."""
import unittest

import stack
import testlib


class PinnedTools(unittest.TestCase):
    def test_terraform_and_the_provider_are_the_pinned_versions(self):
        pins = stack.read_pins()
        self.assertEqual(stack.check_terraform(pins), [])
        mirror = stack.plugin_dir()
        self.assertIn(pins[1][stack.PROVIDER][1], stack.provider_versions(mirror))


if __name__ == "__main__":
    testlib.main()
