"""mkservice: the generator and tooling of the workspace."""
