"""Demo data: `flask demo seed` fills an empty database with a believable company; `flask demo login`."""
