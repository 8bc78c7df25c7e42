"""Read, validate and project spatial layers; build road networks; snap points."""
