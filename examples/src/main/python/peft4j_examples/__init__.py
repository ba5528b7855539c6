"""Python helpers of the peft4j examples and benchmarks (not part of the library)."""
