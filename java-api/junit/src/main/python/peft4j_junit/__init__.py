"""The Python side of peft4j-junit: what PEFT itself makes of a model or adapter, for Java tests to compare with."""
