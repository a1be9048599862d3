"""In-process event handlers of core (none yet beyond registration hooks for later apps)."""
