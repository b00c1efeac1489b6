"""Moving data in and out of any S3 Vectors endpoint: the dump format and the export, import and copy commands.

This package is a client: it talks to an endpoint over HTTP only (the emulator or AWS) and never imports
the store, the operations or the wire layer.  ``dump`` is the exception that others reuse: it reads and
writes the dump format (docs/data-format.md) with typed values and nothing else.
"""
