package io.peft4j.data;

import io.peft4j.core.RegularFiles;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a JSONL file one line at a time as strictly decoded UTF-8, so an invalid byte is reported on
 * its own line. Like {@code datasets.load_dataset("json")}: a UTF-8 byte order mark at the start is
 * dropped, blank (whitespace-only) lines are skipped, and {@code \r\n} endings are accepted.
 */
final class JsonlLines implements Closeable {

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final Path file;
    private final InputStream in;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[1 << 16];
    private int pos;
    private int limit;
    private boolean pendingLine;
    private byte[] buffer = new byte[8192];
    private long lineNumber;

    /** Opens {@code file}; a missing file or one that is not regular (a FIFO) is a {@link io.peft4j.core.Peft4jException}. */
    JsonlLines(Path file) {
        this.file = file;
        RegularFiles.require(file);
        try {
            this.in = Files.newInputStream(file);
        } catch (IOException e) {
            throw new io.peft4j.core.Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** The 1-based number of the line last returned by {@link #next()}. */
    long lineNumber() {
        return lineNumber;
    }

    /** The next non-blank line, or {@code null} at the end of the file. */
    String next() {
        try {
            while (true) {
                int length = readLine();
                if (length < 0) {
                    return null;
                }
                lineNumber++;
                int start = lineNumber == 1 && startsWithBom(length) ? BOM.length : 0;
                String line = decode(start, length);
                if (!line.isBlank()) {
                    return line;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private boolean startsWithBom(int length) {
        return length >= BOM.length && Arrays.equals(buffer, 0, BOM.length, BOM, 0, BOM.length);
    }

    /** Reads bytes up to the next {@code \n} into {@link #buffer}; returns the length without the line end, -1 at EOF. */
    private int readLine() throws IOException {
        int length = 0;
        while (true) {
            if (pos == limit) {
                limit = in.read(chunk);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    return length == 0 && !pendingLine ? -1 : finish(length);
                }
            }
            pendingLine = true;
            int newline = pos;
            while (newline < limit && chunk[newline] != '\n') {
                newline++;
            }
            int count = newline - pos;
            if (length + count > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + count));
            }
            System.arraycopy(chunk, pos, buffer, length, count);
            length += count;
            pos = newline;
            if (newline < limit) {
                pos++;
                return finish(length);
            }
        }
    }

    private int finish(int length) {
        pendingLine = false;
        return length > 0 && buffer[length - 1] == '\r' ? length - 1 : length;
    }

    private String decode(int start, int end) {
        try {
            return utf8.decode(ByteBuffer.wrap(buffer, start, end - start)).toString();
        } catch (CharacterCodingException e) {
            throw new DatasetFormatException(file, lineNumber, "invalid UTF-8");
        }
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
