"""coopdec-expert."""
