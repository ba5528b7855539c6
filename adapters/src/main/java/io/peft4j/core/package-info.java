/**
 * What every peft4j module shares: {@link io.peft4j.core.Peft4jException}, the base of every error
 * peft4j raises on purpose, whose message is the one line a user sees.
 */
package io.peft4j.core;
