"""`python -m drs_conformance` is `drs-conformance`."""

import sys

from drs_conformance.cli import main

sys.exit(main())
