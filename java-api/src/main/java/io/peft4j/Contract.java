package io.peft4j;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import io.peft4j.core.Peft4jException;
import io.peft4j.data.DatasetFormat;
import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The one contract between Java and the Python bridge: the records that cross as JSON, their mapper,
 * and the schema the contract test hands to {@code peft4j_bridge.contract.check}.
 *
 * <p>Every record here is written with snake_case keys (each carries {@code @JsonNaming}); paths
 * cross as absolute strings, durations as seconds, empty optionals as null. Reading is strict: a
 * missing, unknown or null-for-primitive key is an error, because Python always writes every key.
 * Java owns every default: a request carries every key and Python has no defaults of its own.
 */
final class Contract {

    /** The records that cross, under the names Python's dataclasses carry. */
    static final List<Class<?>> TYPES = List.of(TrainConfig.class, DataFile.class, TrainRequest.class, LaunchSpec.class,
            RankError.class, TrainStart.class, TrainStep.class, Evaluation.class, TrainCheckpoint.class,
            TrainResult.class, GenerateOptions.class, GenerateRequest.class, Generation.class, EvalRequest.class,
            EvalResult.class);

    /** The mapper for every record of the contract. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new Jdk8Module())
            .addModule(new SimpleModule("peft4j-contract")
                    .addSerializer(Path.class, new PathSerializer())
                    .addDeserializer(Path.class, new PathDeserializer())
                    .addSerializer(Duration.class, new SecondsSerializer())
                    .addDeserializer(Duration.class, new SecondsDeserializer()))
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .build();

    private Contract() {}

    /** JSON text of a contract record (a {@link TrainingEvent} carries its {@code "event"} name). */
    static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new Peft4jException("cannot write " + value.getClass().getSimpleName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** A contract record from the JSON text Python wrote. */
    static <T> T read(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new Peft4jException("unreadable " + type.getSimpleName() + " from Python: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        }
    }

    /**
     * The schema of the contract as Jackson writes it: {@code {"types": {Name: {key: {"type", "nullable"}}},
     * "events": {event: Name}}}, with types {@code string}, {@code integer}, {@code number},
     * {@code boolean}, {@code any}, {@code array<...>} and {@code object<Name>}.
     */
    static String schema() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode types = root.putObject("types");
        for (Class<?> type : TYPES) {
            ObjectNode keys = types.putObject(type.getSimpleName());
            BeanDescription description = JSON.getSerializationConfig().introspect(JSON.constructType(type));
            for (BeanPropertyDefinition property : description.findProperties()) {
                JavaType javaType = property.getPrimaryType();
                keys.putObject(property.getName()).put("type", jsonType(javaType))
                        .put("nullable", nullable(javaType));
            }
        }
        ObjectNode events = root.putObject("events");
        for (JsonSubTypes.Type named : TrainingEvent.class.getAnnotation(JsonSubTypes.class).value()) {
            events.put(named.name(), named.value().getSimpleName());
        }
        return write(root);
    }

    private static boolean nullable(JavaType type) {
        Class<?> raw = type.getRawClass();
        return raw == Optional.class || raw == OptionalDouble.class || raw == Targets.class;
    }

    private static String jsonType(JavaType type) {
        Class<?> raw = type.getRawClass();
        if (raw == Optional.class) {
            return jsonType(type.containedType(0));
        }
        if (raw == OptionalDouble.class || raw == double.class || raw == Double.class || raw == Duration.class) {
            return "number";
        }
        if (raw == int.class || raw == long.class || raw == Integer.class || raw == Long.class) {
            return "integer";
        }
        if (raw == boolean.class) {
            return "boolean";
        }
        if (raw == String.class || raw == Path.class || raw == TrainMethod.class || raw == DatasetFormat.class) {
            return "string";
        }
        if (raw == Targets.class) {
            return "any"; // PEFT's target_modules: null, "all-linear", a regex or a list of names
        }
        if (List.class.isAssignableFrom(raw)) {
            return "array<" + jsonType(type.getContentType()) + ">";
        }
        if (TYPES.contains(raw)) {
            return "object<" + raw.getSimpleName() + ">";
        }
        throw new IllegalStateException("no JSON type for " + type + " in the contract");
    }

    private static final class PathSerializer extends JsonSerializer<Path> {
        @Override
        public void serialize(Path value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(value.toAbsolutePath().normalize().toString());
        }
    }

    private static final class PathDeserializer extends JsonDeserializer<Path> {
        @Override
        public Path deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            return Path.of(parser.getValueAsString());
        }
    }

    private static final class SecondsSerializer extends JsonSerializer<Duration> {
        @Override
        public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeNumber(value.toNanos() / 1e9);
        }
    }

    private static final class SecondsDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            return Duration.ofNanos(Math.round(parser.getDoubleValue() * 1e9));
        }
    }
}
