package io.peft4j.bridge;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Python's {@code sys.stdout} or {@code sys.stderr} as seen from Java: bytes are cut into lines (at
 * {@code \n} or {@code \r}, so progress bars give one line per update) and each non-empty line goes
 * to {@code lines}.
 */
final class PythonOutput extends OutputStream {

    private final Consumer<String> lines;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    PythonOutput(Consumer<String> lines) {
        this.lines = lines;
    }

    @Override
    public synchronized void write(int b) {
        if (b == '\n' || b == '\r') {
            emit();
        } else {
            pending.write(b);
        }
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            write(bytes[i]);
        }
    }

    private void emit() {
        if (pending.size() > 0) {
            String line = pending.toString(StandardCharsets.UTF_8);
            pending.reset();
            lines.accept(line);
        }
    }
}
