from zenith.cli.main import main

raise SystemExit(main())
