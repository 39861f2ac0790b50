"""Developer tools that check the code itself (run in CI through the tests)."""
