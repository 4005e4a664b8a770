"""`python -m hubextras.services.help_sessions`: run the service (the hub does this for a managed service)."""

import sys

from .app import main

sys.exit(main())
