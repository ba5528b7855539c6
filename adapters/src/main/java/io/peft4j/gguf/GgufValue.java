package io.peft4j.gguf;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One typed GGUF metadata value. Integers of every width are held as {@code Long} (a
 * {@link GgufValueType#UINT64} above {@link Long#MAX_VALUE} as its two's-complement bits),
 * {@code FLOAT32} as {@code Float}, {@code FLOAT64} as {@code Double}, {@code BOOL} as
 * {@code Boolean}, {@code STRING} as {@code String}, and an {@code ARRAY} as an unmodifiable
 * {@code List} of such objects, all of {@link #elementType()}.
 *
 * @param type the value's type
 * @param elementType for an array, the type of its elements; otherwise null
 * @param value the value
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    /** Arrays longer than this are shortened in {@link #toString()}. */
    private static final int SHOWN_ELEMENTS = 8;

    /** Checks that the value's Java class fits its type. */
    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if (type == GgufValueType.ARRAY) {
            if (elementType == null || elementType == GgufValueType.ARRAY) {
                throw new IllegalArgumentException("an array needs an element type that is not an array");
            }
            List<?> list = (List<?>) value;
            list.forEach(e -> checkClass(elementType, e));
            value = List.copyOf(list);
        } else {
            if (elementType != null) {
                throw new IllegalArgumentException(type + " has no element type");
            }
            checkClass(type, value);
        }
    }

    private static void checkClass(GgufValueType type, Object value) {
        Class<?> expected = switch (type) {
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> List.class;
            default -> Long.class;
        };
        if (!expected.isInstance(value)) {
            throw new IllegalArgumentException(type + " value must be a " + expected.getSimpleName() + ", not " + value.getClass().getSimpleName());
        }
    }

    /** A {@code STRING} value. */
    public static GgufValue string(String value) {
        return new GgufValue(GgufValueType.STRING, null, value);
    }

    /** A {@code UINT32} value. */
    public static GgufValue uint32(long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(value + " does not fit a uint32");
        }
        return new GgufValue(GgufValueType.UINT32, null, value);
    }

    /** A {@code FLOAT32} value. */
    public static GgufValue float32(float value) {
        return new GgufValue(GgufValueType.FLOAT32, null, value);
    }

    /** An {@code ARRAY} of {@code elementType} values. */
    public static GgufValue array(GgufValueType elementType, List<?> elements) {
        return new GgufValue(GgufValueType.ARRAY, elementType, elements);
    }

    /** The string of a {@code STRING} value; empty for any other type. */
    public Optional<String> asString() {
        return type == GgufValueType.STRING ? Optional.of((String) value) : Optional.empty();
    }

    /** The elements of an {@code ARRAY}. */
    public List<?> asList() {
        if (type != GgufValueType.ARRAY) {
            throw new IllegalStateException(type + " is not an array");
        }
        return (List<?>) value;
    }

    /** The value as text: strings as they are, numbers in Java's notation, arrays shortened. */
    @Override
    public String toString() {
        if (type == GgufValueType.ARRAY) {
            List<?> list = asList();
            String shown = list.stream().limit(SHOWN_ELEMENTS).map(e -> element(elementType, e)).collect(Collectors.joining(", "));
            return elementType.name().toLowerCase(Locale.ROOT) + "[" + list.size() + "] [" + shown
                    + (list.size() > SHOWN_ELEMENTS ? ", ..." : "") + "]";
        }
        return element(type, value);
    }

    private static String element(GgufValueType type, Object value) {
        if (type == GgufValueType.UINT64) {
            return Long.toUnsignedString((Long) value);
        }
        return String.valueOf(value);
    }
}
