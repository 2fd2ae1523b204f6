"""The output formats: one subpackage each."""
