"""`python -m drs_conformance` is `drs-conformance`."""

import sys

from drs_conformance.cli.program import main

sys.exit(main())
