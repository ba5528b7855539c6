/**
 * Rules every part of peft4j shares: how text from a file or a server is made safe to print
 * ({@link io.peft4j.core.Printable}).
 */
package io.peft4j.core;
