/**
 * The {@code peft4j} command line (what the launcher runs): one picocli command per verb over the
 * library. Ships as {@code io.peft4j:peft4j-cli}.
 */
package io.peft4j.cli;
