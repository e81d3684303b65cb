"""Everything that touches files: readers, writers and upload safety."""
