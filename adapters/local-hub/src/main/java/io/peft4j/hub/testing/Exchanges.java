package io.peft4j.hub.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small helpers for answering {@link HttpExchange}s the way the Hub does. */
final class Exchanges {

    static final ObjectMapper JSON = new ObjectMapper();
    /** The fault the answer being sent on this thread must apply (an exchange is handled on one thread). */
    private static final ThreadLocal<Fault> FAULT = new ThreadLocal<>();

    private Exchanges() {}

    /** Thrown by a route to answer with an error status, {@code X-Error-Code} and {@code X-Error-Message}. */
    static final class HubError extends RuntimeException {
        final int status;
        final String code;
        final Map<String, String> headers = new LinkedHashMap<>();

        HubError(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }

        HubError header(String name, String value) {
            headers.put(name, value);
            return this;
        }
    }

    static void sendError(HttpExchange ex, HubError e) throws IOException {
        if (e.code != null) {
            ex.getResponseHeaders().set("X-Error-Code", e.code);
        }
        ex.getResponseHeaders().set("X-Error-Message", e.getMessage());
        e.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        sendJson(ex, e.status, JSON.createObjectNode().put("error", e.getMessage()));
    }

    static void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(bytes.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, bytes.length);
        sendBody(ex, new java.io.ByteArrayInputStream(bytes), bytes.length);
    }

    /** Handles one exchange: applies {@code fault} before routing, or keeps it for the answer {@code route} sends. */
    static void handle(HttpExchange ex, Fault fault, Route route) throws IOException {
        if (applyFault(ex, fault)) {
            return;
        }
        FAULT.set(fault);
        try {
            route.run();
        } finally {
            FAULT.remove();
        }
    }

    /** What answers an exchange once faults before routing are applied. */
    interface Route {
        /** Answers the exchange. */
        void run() throws IOException;
    }

    /**
     * Applies an injected fault before routing: sleeps for a delay, or answers a status or made-up
     * answer itself (returns true); faults of the body are left to {@link #sendJson}/{@link #sendFile}.
     */
    private static boolean applyFault(HttpExchange ex, Fault fault) throws IOException {
        if (fault == null) {
            return false;
        }
        switch (fault.kind()) {
            case DELAY -> {
                pause(fault.value());
                return false;
            }
            case STATUS -> {
                if (fault.retryAfter() >= 0) {
                    ex.getResponseHeaders().set("Retry-After", Integer.toString(fault.retryAfter()));
                }
                readBody(ex);
                sendJson(ex, (int) fault.value(), JSON.createObjectNode().put("error", "injected fault"));
                return true;
            }
            case ANSWER -> {
                pause(fault.value());
                readBody(ex);
                Fault.Answer a = fault.answer();
                a.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                boolean empty = a.body().length == 0 || ex.getRequestMethod().equals("HEAD");
                ex.sendResponseHeaders(a.status(), empty ? -1 : 0); // chunked: the client learns the size only by reading
                if (!empty) {
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(a.body());
                    }
                }
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /**
     * Sends {@code file}'s bytes, honouring a {@code Range: bytes=N-[M]} request with 206, and
     * applying a drop, trickle or wrong-range fault kept for this request.
     */
    static void sendFile(HttpExchange ex, HostedFile file) throws IOException {
        Fault fault = FAULT.get();
        long start = 0;
        long end = file.size() - 1;
        long from = 0;
        int status = 200;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=")) {
            String[] parts = range.substring(6).split("-", -1);
            start = Long.parseLong(parts[0].strip());
            if (parts.length > 1 && !parts[1].isBlank()) {
                end = Math.min(end, Long.parseLong(parts[1].strip()));
            }
            if (start > end) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + file.size());
                ex.sendResponseHeaders(416, -1);
                ex.close();
                return;
            }
            status = 206;
            if (fault != null && fault.kind() == Fault.Kind.RANGE_FROM_START) {
                start = 0;
                end = file.size() - 1;
            }
            from = fault != null && fault.kind() == Fault.Kind.RANGE_MISLABELED ? 0 : start;
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + end + "/" + file.size());
        }
        long length = end - start + 1;
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(length));
            ex.sendResponseHeaders(status, -1);
            ex.close();
            return;
        }
        ex.sendResponseHeaders(status, length == 0 ? -1 : length);
        try (InputStream in = Files.newInputStream(file.content())) {
            in.skipNBytes(from);
            sendBody(ex, in, length);
        }
    }

    /** Sends {@code length} bytes of {@code in} as the body, dropping or trickling as the request's fault says. */
    private static void sendBody(HttpExchange ex, InputStream in, long length) throws IOException {
        Fault fault = FAULT.get();
        long dropAfter = fault != null && fault.kind() == Fault.Kind.DROP ? fault.value() : -1;
        boolean trickle = fault != null && fault.kind() == Fault.Kind.TRICKLE;
        OutputStream out = ex.getResponseBody();
        byte[] buffer = new byte[trickle ? 1 : 1 << 20];
        long left = dropAfter >= 0 ? Math.min(length, dropAfter) : length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                break;
            }
            out.write(buffer, 0, n);
            left -= n;
            if (trickle) {
                out.flush();
                pause(fault.value());
            }
        }
        if (dropAfter >= 0 && dropAfter < length) {
            out.flush();
            throw new IOException("injected fault: connection dropped after " + dropAfter + " bytes");
        }
        out.close();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static byte[] readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    static JsonNode readJson(HttpExchange ex) throws IOException {
        try {
            return JSON.readTree(readBody(ex));
        } catch (IOException e) {
            throw new HubError(400, null, "request body is not JSON: " + e.getMessage());
        }
    }

    /** The path's segments, each percent-decoded ({@code +} stays a plus). */
    static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(percentDecode(s));
            }
        }
        return out;
    }

    /** Query parameters in order; repeated names give several values. */
    static Map<String, List<String>> query(String rawQuery) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (rawQuery == null) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = percentDecode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1).replace('+', ' '));
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    static String percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
