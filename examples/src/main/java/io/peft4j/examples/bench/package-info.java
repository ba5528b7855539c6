/**
 * Benchmarks that time peft4j side by side with the Python equivalent in one run and print the
 * ratio.
 */
package io.peft4j.examples.bench;
