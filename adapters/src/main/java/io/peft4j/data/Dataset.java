package io.peft4j.data;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Training data in the JSONL formats of {@link DatasetFormat}, read as a stream so a file of any size
 * is checked in constant memory. Lines follow {@code datasets.load_dataset("json")}: blank lines are
 * skipped, a leading byte order mark is ignored; unlike it, a wrong type, an empty conversation, mixed
 * formats or a file without any example are errors here, reported with the file and line number.
 */
public final class Dataset {

    private Dataset() {}

    /**
     * The examples of {@code file} in order, parsed lazily. Consuming the stream throws
     * {@link DatasetFormatException} at the first unusable line, or at the end if there was no example.
     * Close the stream (try-with-resources) to close the file.
     */
    public static Stream<Example> read(Path file) {
        JsonlLines lines = new JsonlLines(file);
        ExampleParser parser = new ExampleParser(file);
        Spliterator<Example> examples = new Spliterators.AbstractSpliterator<>(
                Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL) {
            @Override
            public boolean tryAdvance(Consumer<? super Example> action) {
                String line = lines.next();
                if (line == null) {
                    if (parser.format() == null) {
                        throw new DatasetFormatException(file, Math.max(1, lines.lineNumber()),
                                "no examples (the file is empty)");
                    }
                    return false;
                }
                action.accept(parser.parse(line, lines.lineNumber()));
                return true;
            }
        };
        return StreamSupport.stream(examples, false).onClose(lines::close);
    }

    /**
     * Reads all of {@code file} and checks every line; this is what {@code Peft.train} runs before any
     * Python starts.
     *
     * @throws DatasetFormatException at the first unusable line, or if the file holds no example
     */
    public static DatasetSummary validate(Path file) {
        DatasetFormat format = null;
        long count = 0;
        try (Stream<Example> examples = read(file)) {
            for (Iterator<Example> it = examples.iterator(); it.hasNext(); count++) {
                format = it.next().format();
            }
        }
        return new DatasetSummary(file, format, count);
    }
}
