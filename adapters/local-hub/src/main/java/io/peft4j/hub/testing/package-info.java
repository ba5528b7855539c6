/**
 * A Hugging Face Hub stand-in on loopback for tests ({@link io.peft4j.hub.testing.LocalHub}): the
 * search, info and tree API, downloads that redirect large files to a second "CDN" host name,
 * uploads, and injected faults. Ships as {@code io.peft4j:peft4j-local-hub}, for test scope.
 */
package io.peft4j.hub.testing;
