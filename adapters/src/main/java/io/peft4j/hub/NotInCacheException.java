package io.peft4j.hub;

/** Offline mode (or an unreachable Hub) and the requested file or snapshot is not in the local cache. */
public final class NotInCacheException extends HubException {

    /** Creates the exception with a message naming what was looked up and why the Hub was not asked. */
    public NotInCacheException(String message) {
        super(message);
    }
}
