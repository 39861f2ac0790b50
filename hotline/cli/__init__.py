"""The `hotline` command: the group in `main`, one module per subcommand group."""
