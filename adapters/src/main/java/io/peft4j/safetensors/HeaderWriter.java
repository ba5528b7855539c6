package io.peft4j.safetensors;

import io.peft4j.core.Peft4jException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Lays out tensors and renders the header exactly as the reference writer
 * ({@code safetensors::tensor::prepare} with serde_json) does: tensors sorted by dtype, largest
 * declaration rank first, then by name; compact JSON with {@code __metadata__} first; padded with
 * spaces to a multiple of 8 bytes.
 */
final class HeaderWriter {

    /** The reference's tensor order: dtype rank descending, then name by code point (UTF-8 byte order). */
    static final Comparator<TensorSpec> REFERENCE_ORDER = Comparator
            .comparingInt((TensorSpec s) -> -s.dtype().referenceRank())
            .thenComparing(TensorSpec::name, PythonJson.CODE_POINT_ORDER);

    private HeaderWriter() {
    }

    /**
     * A laid-out file: entries in data order and the bytes that precede the data (length prefix,
     * header, padding).
     */
    record Layout(List<TensorInfo> tensors, byte[] prefix) {

        /** Total file size. */
        long fileSize() {
            return prefix.length + (tensors.isEmpty() ? 0 : tensors.getLast().end());
        }
    }

    /**
     * Lays out {@code specs} in reference order with {@code metadata} (sorted by key; null or empty
     * means no {@code __metadata__}).
     *
     * @throws IllegalArgumentException on duplicate names or names that are not valid Unicode
     * @throws Peft4jException          if the header would exceed the reference's size limit
     */
    static Layout layout(Path target, List<TensorSpec> specs, Map<String, String> metadata) {
        List<TensorSpec> sorted = new ArrayList<>(specs);
        sorted.sort(REFERENCE_ORDER);
        List<TensorInfo> tensors = new ArrayList<>(sorted.size());
        HashSet<String> names = new HashSet<>();
        long offset = 0;
        for (TensorSpec spec : sorted) {
            if (spec.name().equals(HeaderValidator.METADATA_KEY) || !names.add(spec.name())) {
                throw new IllegalArgumentException("tensor name " + spec.name() + " is used twice or reserved");
            }
            long end = offset + spec.byteSize();
            tensors.add(new TensorInfo(spec.name(), spec.dtype(), spec.shape(), offset, end));
            offset = end;
        }
        StringBuilder json = new StringBuilder(64 + 96 * tensors.size());
        json.append('{');
        if (metadata != null && !metadata.isEmpty()) {
            appendString(json, HeaderValidator.METADATA_KEY).append(":{");
            boolean first = true;
            for (var e : new TreeMap<>(metadata).entrySet()) {
                if (!first) {
                    json.append(',');
                }
                first = false;
                appendString(json, e.getKey()).append(':');
                appendString(json, e.getValue());
            }
            json.append('}');
            if (!tensors.isEmpty()) {
                json.append(',');
            }
        }
        for (int i = 0; i < tensors.size(); i++) {
            TensorInfo t = tensors.get(i);
            if (i > 0) {
                json.append(',');
            }
            appendString(json, t.name()).append(":{\"dtype\":\"").append(t.dtype().safetensorsName())
                    .append("\",\"shape\":[");
            for (int d = 0; d < t.rank(); d++) {
                if (d > 0) {
                    json.append(',');
                }
                json.append(t.dim(d));
            }
            json.append("],\"data_offsets\":[").append(t.begin()).append(',').append(t.end()).append("]}");
        }
        json.append('}');
        byte[] header = utf8(json);
        int padded = (header.length + 7) & ~7;
        if (padded > HeaderValidator.MAX_HEADER_SIZE) {
            throw new Peft4jException(target + ": header of " + padded + " bytes exceeds the safetensors limit of "
                    + HeaderValidator.MAX_HEADER_SIZE);
        }
        ByteBuffer prefix = ByteBuffer.allocate(HeaderValidator.LENGTH_PREFIX + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(header);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        return new Layout(List.copyOf(tensors), prefix.array());
    }

    private static byte[] utf8(CharSequence s) {
        var encoder = StandardCharsets.UTF_8.newEncoder();
        try {
            ByteBuffer bytes = encoder.encode(CharBuffer.wrap(s));
            byte[] out = new byte[bytes.remaining()];
            bytes.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a tensor name or metadata string holds an unpaired surrogate");
        }
    }

    /** Appends {@code s} as a JSON string escaped like serde_json. */
    private static StringBuilder appendString(StringBuilder json, String s) {
        json.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\b' -> json.append("\\b");
                case '\f' -> json.append("\\f");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append("\\u00").append(Character.forDigit(c >> 4, 16))
                                .append(Character.forDigit(c & 15, 16));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"');
    }
}
