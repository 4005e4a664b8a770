"""`python -m hubextras.services.guard`: run the service (the hub does this for a managed service)."""

import sys

from .app import main

sys.exit(main())
