package io.peft4j.data;

import java.nio.file.Path;

/**
 * The result of validating a data file: every non-blank line parsed and had the same format.
 *
 * @param file the data file
 * @param format the format of every line
 * @param examples the number of examples (non-blank lines)
 */
public record DatasetSummary(Path file, DatasetFormat format, long examples) {}
