package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.peft4j.data.Dataset;
import io.peft4j.data.DatasetFormat;
import java.nio.file.Path;

/**
 * A JSONL data file checked in Java, and the format every line of it has: Python reads that format's
 * fields and applies no format rules of its own.
 *
 * @param path the file
 * @param format its format, from {@link Dataset#validate}
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record DataFile(Path path, DatasetFormat format) {

    /** Checks every line of {@code file} ({@code DatasetFormatException} at the first bad one). */
    static DataFile validate(Path file) {
        return new DataFile(file, Dataset.validate(file).format());
    }
}
