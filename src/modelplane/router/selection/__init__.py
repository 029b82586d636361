"""Selection: per-model terms compiled once per change, eligibility, scores, the pick."""
