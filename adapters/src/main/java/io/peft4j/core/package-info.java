/**
 * Rules every part of peft4j shares: what an input file must be ({@link io.peft4j.core.RegularFiles}),
 * how text from a file is made safe to print ({@link io.peft4j.core.Printable}) and how a JSON parse
 * error is told without quoting the file ({@link io.peft4j.core.JsonErrors}).
 */
package io.peft4j.core;
