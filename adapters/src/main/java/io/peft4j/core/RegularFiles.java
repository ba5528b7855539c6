package io.peft4j.core;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one rule for input files: peft4j reads regular files (or symbolic links to them) and nothing
 * else. A FIFO would block the reader forever, a device could be endless; both are refused before
 * they are opened, in one line naming the path. JSON configuration files are read whole, so their
 * size is bounded too.
 */
public final class RegularFiles {

    /** The largest JSON configuration file read ({@code config.json}, {@code adapter_config.json}, an index): 64 MiB. */
    public static final long MAX_CONFIG_BYTES = 64L << 20;

    private RegularFiles() {}

    /**
     * Checks that {@code file} is a regular file, following symbolic links, and returns its size.
     *
     * @throws Peft4jException if it does not exist, is a directory, or is anything else (a FIFO, a
     *                         socket, a device)
     */
    public static long require(Path file) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new Peft4jException(file + ": no such file");
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (attributes.isDirectory()) {
            throw new Peft4jException(file + ": is a directory, not a file");
        }
        if (!attributes.isRegularFile()) {
            throw new Peft4jException(file + ": not a regular file (a FIFO, socket or device);"
                    + " peft4j reads only regular files");
        }
        return attributes.size();
    }

    /**
     * Reads a JSON configuration file whole as UTF-8 text, after {@link #require} and a size check.
     *
     * @throws Peft4jException if it is not a regular file, is larger than {@link #MAX_CONFIG_BYTES},
     *                         is not UTF-8 or cannot be read
     */
    public static String readConfig(Path file) {
        long size = require(file);
        if (size > MAX_CONFIG_BYTES) {
            throw new Peft4jException(file + ": " + size + " bytes, larger than the "
                    + MAX_CONFIG_BYTES + " a configuration file may have");
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new Peft4jException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
