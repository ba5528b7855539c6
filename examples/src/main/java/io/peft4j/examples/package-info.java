/**
 * Runnable uses of peft4j, each a real application: training from a JVM app, merging, browsing the
 * Hub, serving adapters.
 */
package io.peft4j.examples;
