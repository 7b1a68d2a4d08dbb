"""``python -m scim.admin``: see ``scim.admin.cli``."""

import sys

from scim.admin.cli import main

sys.exit(main())
