"""Full-ranking evaluation shared by every model: metrics, slices, intervals, protocol, reports."""
