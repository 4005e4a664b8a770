"""`python -m hubextras.services.servers_panel`: run the panel (the hub does this for a managed service)."""

import sys

from .app import main

sys.exit(main())
