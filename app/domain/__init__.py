"""Pure rules of the trade. Imports the standard library only."""
