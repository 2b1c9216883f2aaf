"""The ``zkescrow`` command line: thin glue over the library."""
