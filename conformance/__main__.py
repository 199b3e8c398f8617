"""``python -m conformance`` runs the command line."""

from conformance.cli import main

raise SystemExit(main())
