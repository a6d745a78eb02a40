"""Coverage-guided fuzz harnesses (see README.md); they share their oracles with the tests through support/."""
