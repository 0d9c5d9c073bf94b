from activation_server.cli import main

raise SystemExit(main())
