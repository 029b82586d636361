"""Live catalogue: immutable snapshots for readers, and change propagation between processes."""
