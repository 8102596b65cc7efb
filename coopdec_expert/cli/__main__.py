"""`python -m coopdec_expert.cli …`: the `coopdec` command."""

from . import main

main()
