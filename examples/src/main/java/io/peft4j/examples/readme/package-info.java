/**
 * The README's Java snippets, compiled with the build so they cannot rot.
 */
package io.peft4j.examples.readme;
