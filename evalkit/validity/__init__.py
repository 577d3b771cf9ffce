"""How far metrics agree with people: correlations, rater agreement, combinations, rated-data formats."""
