/**
 * What every peft4j module shares: {@link io.peft4j.core.Peft4jException}, the base of every error
 * peft4j raises on purpose, whose message is the one line a user sees, and how text from a file or a
 * server is made safe to print ({@link io.peft4j.core.Printable}).
 */
package io.peft4j.core;
