"""`python -m uppfoljning.data.params [README.md]`: rewrite the README's parameter reference."""

from uppfoljning.data.params.reference import main

raise SystemExit(main())
