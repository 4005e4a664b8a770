"""`python -m hubextras.services.announcements`: run the service (the hub does this for a managed service)."""

import sys

from .app import main

sys.exit(main())
