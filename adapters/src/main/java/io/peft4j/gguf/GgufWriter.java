package io.peft4j.gguf;

import io.peft4j.core.Peft4jException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Writes a GGUF version 3 file, laid out byte for byte as llama.cpp's {@code gguf-py}
 * {@code GGUFWriter} does: the header, the key-value pairs and the tensor entries in the order
 * they were added, zero padding to the alignment, then each tensor's data padded to the alignment.
 * Tensor data can be given as suppliers, called one at a time while the file is written, so only
 * one tensor is in memory at once. The file is written to a hidden temporary sibling and renamed
 * into place, so a failure leaves no partial file.
 */
public final class GgufWriter {

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final Map<String, PendingTensor> tensors = new LinkedHashMap<>();

    private record PendingTensor(String name, long[] dimensions, GgmlType type, long byteSize, Supplier<byte[]> data) {
    }

    /** Adds a key-value pair (after those added before). */
    public GgufWriter put(String key, GgufValue value) {
        if (key.isEmpty() || metadata.putIfAbsent(key, value) != null) {
            throw new IllegalArgumentException("GGUF key '" + key + "' is empty or already set");
        }
        return this;
    }

    /**
     * Adds a tensor of {@code shape} (row-major, PyTorch order) holding {@code values}, encoded as
     * {@code type} (F32, F16, BF16 or Q8_0).
     */
    public GgufWriter tensor(String name, long[] shape, GgmlType type, float[] values) {
        long numel = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (values.length != numel) {
            throw new IllegalArgumentException("tensor '" + name + "' of shape " + Arrays.toString(shape) + " needs " + numel + " values, got " + values.length);
        }
        return tensor(name, shape, type, () -> values);
    }

    /**
     * Adds a tensor of {@code shape} (row-major) whose float32 values {@code values} gives when the
     * file is written, encoded as {@code type} (F32, F16, BF16 or Q8_0).
     */
    public GgufWriter tensor(String name, long[] shape, GgmlType type, Supplier<float[]> values) {
        return bytes(name, shape, type, () -> GgmlCodec.encode(type, values.get()));
    }

    /** Adds a tensor of {@code shape} (row-major) whose {@code type}-encoded bytes are {@code data}. */
    public GgufWriter tensor(String name, long[] shape, GgmlType type, byte[] data) {
        bytes(name, shape, type, () -> data);
        if (tensors.get(name).byteSize() != data.length) {
            tensors.remove(name);
            throw new IllegalArgumentException("tensor '" + name + "' " + type + Arrays.toString(shape) + " needs a different number of bytes than " + data.length);
        }
        return this;
    }

    private GgufWriter bytes(String name, long[] shape, GgmlType type, Supplier<byte[]> data) {
        if (name.getBytes(StandardCharsets.UTF_8).length >= GgufValidator.MAX_NAME) {
            throw new IllegalArgumentException("tensor name '" + name + "' is " + GgufValidator.MAX_NAME + " bytes or longer");
        }
        if (shape.length > GgufValidator.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has more than " + GgufValidator.MAX_DIMS + " dimensions");
        }
        long[] dimensions = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            dimensions[i] = shape[shape.length - 1 - i];
        }
        if (dimensions.length > 0 && dimensions[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' rows of " + dimensions[0] + " are not a multiple of " + type + "'s block size");
        }
        long bytes = GgufTensorInfo.byteSize(dimensions, type);
        if (tensors.putIfAbsent(name, new PendingTensor(name, dimensions, type, bytes, data)) != null) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        return this;
    }

    /**
     * Writes the file to {@code target} (replacing it if it exists).
     *
     * @throws Peft4jException if it cannot be written
     */
    public void write(Path target) {
        Path absolute = target.toAbsolutePath();
        Path temp = absolute.resolveSibling("." + absolute.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeAll(out, ByteBuffer.wrap(header()));
                for (PendingTensor t : tensors.values()) {
                    byte[] data = t.data().get();
                    if (data.length != t.byteSize()) {
                        throw new IllegalArgumentException("tensor '" + t.name() + "' " + t.type() + " needs " + t.byteSize() + " bytes, got " + data.length);
                    }
                    writeAll(out, ByteBuffer.wrap(data));
                    writeAll(out, ByteBuffer.allocate((int) (GgufValidator.pad(data.length, alignment()) - data.length)));
                }
                out.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new Peft4jException(target + ": cannot write: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // a leftover hidden temporary file is harmless
            }
        }
    }

    private int alignment() {
        GgufValue value = metadata.get(GgufValidator.ALIGNMENT_KEY);
        return value == null ? GgufValidator.DEFAULT_ALIGNMENT : ((Long) value.value()).intValue();
    }

    /** Everything before the first tensor's data: fixed header, key-value pairs, tensor entries, padding. */
    private byte[] header() {
        Bytes out = new Bytes();
        out.u32(GgufValidator.MAGIC).u32(GgufValidator.VERSION).u64(tensors.size()).u64(metadata.size());
        metadata.forEach((key, value) -> {
            out.string(key).u32(value.type().id());
            if (value.type() == GgufValueType.ARRAY) {
                out.u32(value.elementType().id()).u64(value.asList().size());
                value.asList().forEach(e -> out.scalar(value.elementType(), e));
            } else {
                out.scalar(value.type(), value.value());
            }
        });
        long offset = 0;
        for (PendingTensor t : tensors.values()) {
            out.string(t.name()).u32(t.dimensions().length);
            for (long d : t.dimensions()) {
                out.u64(d);
            }
            out.u32(t.type().id()).u64(offset);
            offset += GgufValidator.pad(t.byteSize(), alignment());
        }
        out.padTo(alignment());
        return out.toArray();
    }

    private static void writeAll(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** A growable little-endian byte buffer. */
    private static final class Bytes {
        private ByteBuffer buffer = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(int n) {
            if (buffer.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
                bigger.put(buffer.flip());
                buffer = bigger;
            }
        }

        Bytes u32(long v) {
            ensure(4);
            buffer.putInt((int) v);
            return this;
        }

        Bytes u64(long v) {
            ensure(8);
            buffer.putLong(v);
            return this;
        }

        Bytes string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            u64(bytes.length);
            ensure(bytes.length);
            buffer.put(bytes);
            return this;
        }

        void scalar(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> {
                    ensure(1);
                    buffer.put(((Long) v).byteValue());
                }
                case UINT16, INT16 -> {
                    ensure(2);
                    buffer.putShort(((Long) v).shortValue());
                }
                case UINT32, INT32 -> u32((Long) v);
                case UINT64, INT64 -> u64((Long) v);
                case FLOAT32 -> {
                    ensure(4);
                    buffer.putFloat((Float) v);
                }
                case FLOAT64 -> {
                    ensure(8);
                    buffer.putDouble((Double) v);
                }
                case BOOL -> {
                    ensure(1);
                    buffer.put((byte) ((Boolean) v ? 1 : 0));
                }
                case STRING -> string((String) v);
                case ARRAY -> throw new IllegalArgumentException("nested arrays are not GGUF");
            }
        }

        void padTo(int alignment) {
            int padding = (int) (GgufValidator.pad(buffer.position(), alignment) - buffer.position());
            ensure(padding);
            buffer.put(new byte[padding]);
        }

        byte[] toArray() {
            return Arrays.copyOf(buffer.array(), buffer.position());
        }
    }
}
