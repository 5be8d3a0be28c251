"""Great Expectations suites for what leaves the warehouse (DESIGN.md), and the checkpoint that
runs them. Suites are declarative JSON files in `suites/`, one per exported mart; the
orchestration layer hands this module a mart as a DataFrame and gets the outcome back."""
