"""The pure core: rules and arithmetic with no I/O (aliases, buckets, the stats document, growth analytics,
posting activity, time parsing, password and token primitives, clocks). Everything above may import it; it
imports nothing of Roost's."""
