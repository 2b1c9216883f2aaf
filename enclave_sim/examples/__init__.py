"""Example enclave programs written against the enclave_sim program API."""
