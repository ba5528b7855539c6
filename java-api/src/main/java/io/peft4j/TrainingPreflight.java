package io.peft4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.data.DatasetFormat;
import io.peft4j.data.DatasetFormatException;
import io.peft4j.output.OutputExistsException;
import io.peft4j.output.OutputPolicy;
import io.peft4j.tuning.TrainMethod;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Peft#trainAsync} does in Java before any Python runs: every data line checked (records
 * are written to a temporary JSONL file and checked the same way), the data's format matched to the
 * method, and the output folder claimed under the overwrite rule of every writer ({@link OutputPolicy}). The result is the
 * {@link TrainRequest} the bridge receives.
 */
final class TrainingPreflight {

    private static final ObjectMapper RECORDS = new ObjectMapper();

    private TrainingPreflight() {}

    /**
     * The request for {@code config}; {@link #cleanUp} removes what it wrote once the run is over.
     *
     * @throws TrainConfigException for records or data of the wrong format
     * @throws OutputExistsException for an output folder that holds something, without overwrite
     * @throws DatasetFormatException for a data file with an unusable line
     */
    static TrainRequest request(TrainConfig config) {
        Optional<DataFile> eval = config.evalData().map(DataFile::validate);
        eval.ifPresent(e -> checkFormat(config, e.format(), e.path().toString()));
        DataFile data = config.data().map(DataFile::validate).orElseGet(() -> writeRecords(config.records()));
        TrainRequest request = new TrainRequest(config, data, eval);
        try {
            checkFormat(config, data.format(), config.data().isPresent() ? data.path().toString() : "records");
            claimOutput(config);
        } catch (RuntimeException e) {
            cleanUp(request);
            throw e;
        }
        return request;
    }

    /** Deletes the temporary file in-memory records were written to. */
    static void cleanUp(TrainRequest request) {
        if (request.config().data().isEmpty()) {
            deleteRecords(request.data().path());
        }
    }

    private static void checkFormat(TrainConfig config, DatasetFormat format, String where) {
        boolean dpo = config.method() == TrainMethod.DPO;
        if (dpo && format != DatasetFormat.PREFERENCE) {
            throw new TrainConfigException(where + ": dpo needs {\"prompt\",\"chosen\",\"rejected\"} records, found "
                    + format.id() + " records");
        }
        if (!dpo && format == DatasetFormat.PREFERENCE) {
            throw new TrainConfigException(where + ": preference records ({\"prompt\",\"chosen\",\"rejected\"}) train"
                    + " with method dpo only, not " + config.method());
        }
    }

    /**
     * The overwrite rule every writer follows ({@link OutputPolicy}): a folder holding something is
     * refused unless {@code overwrite}, which empties it first (never when it holds an input); a run
     * resuming from a checkpoint inside its output folder continues there instead.
     */
    private static void claimOutput(TrainConfig config) {
        Path out = config.outputDir().toAbsolutePath().normalize();
        boolean resumesHere = config.resumeFrom().map(r -> r.toAbsolutePath().normalize().startsWith(out)).orElse(false);
        if (resumesHere && config.overwrite()) {
            throw new TrainConfigException("overwrite would delete the checkpoint " + config.resumeFrom().get()
                    + " the run resumes from; give one of them");
        }
        if (!resumesHere) {
            OutputPolicy.clearFolder(config.outputDir(), config.overwrite(), config.baseModel(),
                    config.data().orElse(null), config.evalData().orElse(null), config.resumeFrom().orElse(null));
        }
    }

    /** The records as one JSON object a line, checked like a data file; a bad record is named by its index. */
    private static DataFile writeRecords(List<?> records) {
        Path file;
        try {
            file = Files.createTempFile("peft4j-records-", ".jsonl");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the records to a temporary file: " + e.getMessage(), e);
        }
        try {
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (Object record : records) {
                    out.write(RECORDS.writeValueAsString(record));
                    out.newLine();
                }
            }
            return DataFile.validate(file);
        } catch (DatasetFormatException e) {
            deleteRecords(file);
            throw new TrainConfigException("records item " + e.line() + ": " + e.problem());
        } catch (JsonProcessingException e) {
            deleteRecords(file);
            throw new TrainConfigException("records cannot be written as JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            deleteRecords(file);
            throw new UncheckedIOException(file + ": cannot write the records: " + e.getMessage(), e);
        }
    }

    private static void deleteRecords(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
