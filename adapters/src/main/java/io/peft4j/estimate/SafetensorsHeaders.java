package io.peft4j.estimate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Parameter counts from the headers of local {@code .safetensors} files: the 8-byte little-endian
 * header length and the JSON header only, never the tensor data. Counts floating-point tensors and
 * leaves out integer tensors and GPT-2's saved attention-mask buffers, which are buffers, not
 * parameters.
 */
final class SafetensorsHeaders {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;
    private static final Set<String> FLOAT_DTYPES = Set.of("F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2");

    private SafetensorsHeaders() {}

    /** The number of parameters stored in one file. */
    static long parameterCount(Path file) {
        long count = 0;
        Iterator<Map.Entry<String, JsonNode>> it = header(file).fields();
        while (it.hasNext()) {
            var e = it.next();
            if (e.getKey().equals("__metadata__") || isMaskBuffer(e.getKey())) {
                continue;
            }
            JsonNode dtype = e.getValue().get("dtype");
            JsonNode shape = e.getValue().get("shape");
            if (dtype == null || shape == null || !shape.isArray()) {
                throw new EstimateException(file + ": tensor '" + e.getKey() + "' has no dtype or shape");
            }
            if (FLOAT_DTYPES.contains(dtype.asText())) {
                long n = 1;
                for (JsonNode d : shape) {
                    n = Math.multiplyExact(n, d.asLong());
                }
                count += n;
            }
        }
        return count;
    }

    private static boolean isMaskBuffer(String name) {
        return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias");
    }

    private static JsonNode header(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(len, 0) != 8) {
                throw new EstimateException(file + ": too short for a safetensors file");
            }
            long n = len.getLong(0);
            if (n <= 0 || n > MAX_HEADER || n > ch.size() - 8) {
                throw new EstimateException(file + ": invalid safetensors header length " + n);
            }
            ByteBuffer json = ByteBuffer.allocate((int) n);
            while (json.hasRemaining()) {
                if (ch.read(json, 8 + json.position()) < 0) {
                    throw new EstimateException(file + ": safetensors header is truncated");
                }
            }
            JsonNode root = JSON.readTree(json.array());
            if (root == null || !root.isObject()) {
                throw new EstimateException(file + ": safetensors header is not a JSON object");
            }
            return root;
        } catch (IOException e) {
            throw new EstimateException(file + ": cannot read safetensors header (" + e.getMessage() + ")", e);
        }
    }
}
