package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.GenerateOptions;
import io.peft4j.Peft;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A prompt/completion JSONL set used as a quiz: each prompt is answered greedily and counts as
 * correct when the answer starts with the expected completion.
 *
 * @param data the JSONL file
 * @param questions the prompts and expected completions, in file order
 */
record Quiz(Path data, List<Question> questions) {

    /**
     * One question.
     *
     * @param prompt the prompt
     * @param expected the expected completion
     */
    record Question(String prompt, String expected) {}

    /**
     * The answers a model gave.
     *
     * @param answers one answer per question
     * @param correct how many were right
     */
    record Score(List<String> answers, int correct) {}

    static Quiz read(Path data) {
        ObjectMapper json = new ObjectMapper();
        List<Question> questions = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(data)) {
                if (!line.isBlank()) {
                    JsonNode row = json.readTree(line);
                    questions.add(new Question(row.get("prompt").asText(), row.get("completion").asText()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Quiz(data, List.copyOf(questions));
    }

    /** Answers every question with {@code base} plus {@code adapters} (greedy, a few tokens). */
    Score take(Path base, List<Path> adapters) {
        List<String> answers = new ArrayList<>();
        int correct = 0;
        GenerateOptions greedy = GenerateOptions.defaults().withMaxNewTokens(10);
        for (Question q : questions) {
            String answer = Peft.generate(base, adapters, q.prompt(), greedy).text();
            answers.add(answer);
            if (answer.strip().startsWith(q.expected().strip())) {
                correct++;
            }
        }
        return new Score(List.copyOf(answers), correct);
    }
}
