"""DataLoader debugging: instrumentation, controller and stage hooks."""
