"""`python -m hubextras.services.shared_data`: run the shared-data service (the hub does this)."""

from .app import main

if __name__ == "__main__":
    main()
