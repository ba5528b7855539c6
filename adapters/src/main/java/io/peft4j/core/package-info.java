/**
 * What every peft4j module shares: {@link io.peft4j.core.Peft4jException}, the base of every error
 * peft4j raises on purpose, whose message is the one line a user sees; and the rules every part
 * applies alike: what an input file must be ({@link io.peft4j.core.RegularFiles}), how text from a
 * file is made safe to print ({@link io.peft4j.core.Printable}) and how a JSON parse error is told
 * without quoting the file ({@link io.peft4j.core.JsonErrors}).
 */
package io.peft4j.core;
