/**
 * {@code @PeftTest}: a JUnit 5 extension that gives tests tiny models and checks Java results
 * against the real PEFT through the embedded Python. Ships as {@code io.peft4j:peft4j-junit}, for
 * test scope.
 */
package io.peft4j.junit;
