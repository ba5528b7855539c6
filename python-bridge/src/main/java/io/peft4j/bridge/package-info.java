/**
 * Embedded CPython through Jep: the managed Python environment (created once, keyed by the pinned
 * requirements), one interpreter on one dedicated thread for the JVM's life, and Python errors as
 * Java exceptions.
 */
package io.peft4j.bridge;
