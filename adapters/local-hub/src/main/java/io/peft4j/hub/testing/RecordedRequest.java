package io.peft4j.hub.testing;

/**
 * A request {@link LocalHub} received.
 *
 * @param host          the {@code Host} header (tells the Hub from the CDN host)
 * @param method        HTTP method
 * @param path          path and query as sent
 * @param authorization the {@code Authorization} header, or null when absent
 * @param range         the {@code Range} header, or null when absent
 */
public record RecordedRequest(String host, String method, String path, String authorization, String range) {}
