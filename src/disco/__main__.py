from disco.cli import main

raise SystemExit(main())
