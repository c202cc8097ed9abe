"""The demo data set: Xiamen's org tree with a user per role and unit (`tree`), and sample cases
driven through the real services and engine (`samples`). For the demo and the tests; a real
installation loads its own org tree."""
