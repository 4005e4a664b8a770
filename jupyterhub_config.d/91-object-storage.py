# Per-person object storage (docs/object-storage-operators.md): with c.ObjectStorage.scratch_bucket set, every
# server gets SCRATCH_BUCKET=s3://<bucket>/<username>; c.ObjectStorage.credentials gives each its own credentials.
from hubextras.storage import configure_object_storage

configure_object_storage(c)
