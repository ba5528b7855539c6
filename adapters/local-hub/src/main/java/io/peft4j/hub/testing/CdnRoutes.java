package io.peft4j.hub.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.peft4j.hub.testing.Exchanges.HubError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * The CDN host's routes: {@code GET/HEAD /lfs/{sha256}} serves LFS content (with {@code Range}),
 * {@code PUT /upload/{sha256}} receives an LFS upload and checks its sha256.
 */
final class CdnRoutes implements HttpHandler {

    private final LocalHub hub;

    CdnRoutes(LocalHub hub) {
        this.hub = hub;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            Exchanges.handle(ex, hub.takeFault(ex.getRequestMethod(), ex.getRequestURI().getRawPath()), () -> route(ex));
        } catch (HubError e) {
            Exchanges.sendError(ex, e);
        }
    }

    private void route(HttpExchange ex) throws IOException {
        List<String> seg = Exchanges.segments(ex.getRequestURI().getRawPath());
        if (seg.size() != 2) {
            throw new HubError(404, null, "no such object");
        }
        String method = ex.getRequestMethod();
        if (seg.get(0).equals("lfs") && (method.equals("GET") || method.equals("HEAD"))) {
            HostedFile object = hub.lfsObjects.get(seg.get(1));
            if (object == null) {
                throw new HubError(404, null, "no such object");
            }
            Exchanges.sendFile(ex, object);
        } else if (seg.get(0).equals("upload") && method.equals("PUT")) {
            receive(ex, seg.get(1));
        } else {
            throw new HubError(404, null, "no route for " + method + " " + ex.getRequestURI().getRawPath());
        }
    }

    private void receive(HttpExchange ex, String oid) throws IOException {
        Path file = hub.newObjectFile();
        MessageDigest sha = HostedFile.digest("SHA-256");
        try (InputStream in = ex.getRequestBody(); OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha)) {
            in.transferTo(out);
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(oid)) {
            Files.delete(file);
            throw new HubError(400, null, "upload: content sha256 " + actual + " does not match " + oid);
        }
        hub.lfsObjects.put(oid, HostedFile.lfsObject("object", file, Files.size(file), oid));
        ex.sendResponseHeaders(200, -1);
    }
}
