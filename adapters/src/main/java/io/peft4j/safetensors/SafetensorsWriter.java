package io.peft4j.safetensors;

import io.peft4j.core.Peft4jException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Writes one safetensors file by streaming: the layout is fixed up front (ordered and rendered
 * exactly as Python's {@code safetensors.torch.save_file} does, so equal content gives
 * byte-identical files), then each tensor's bytes are written once, whole or in disjoint pieces,
 * and {@link #commit()} fsyncs and atomically renames a temporary file in the target's directory
 * into place (a large file is also synced every 64 MB while it is written). Writing in
 * {@link #layout()} order is sequential I/O, but any order works, and several threads may write
 * different tensors, or different pieces of one, at the same time. Closing without committing
 * deletes the temporary file.
 */
public final class SafetensorsWriter implements AutoCloseable {

    /** Largest slice handed to one channel write. */
    private static final long MAX_WRITE = 1L << 30;
    /** Elements converted per step by {@link #write(String, float[])}. */
    private static final int CHUNK = 16384;
    /**
     * Bytes written between two data syncs: a large file is flushed to disk while it is written,
     * so the sync at commit has little left to do and dirty pages never pile up.
     */
    private static final long SYNC_BYTES = 64L << 20;

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final HeaderWriter.Layout layout;
    private final Map<String, Integer> index;
    /** Bytes written so far, per tensor. */
    private final AtomicLongArray written;
    /** 1 once a tensor is complete, per tensor. */
    private final AtomicIntegerArray complete;
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicLong unsynced = new AtomicLong();
    private volatile boolean finished;

    private SafetensorsWriter(Path target, Path temp, FileChannel channel, HeaderWriter.Layout layout) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
        this.layout = layout;
        this.index = new HashMap<>();
        for (int i = 0; i < layout.tensors().size(); i++) {
            index.put(layout.tensors().get(i).name(), i);
        }
        this.written = new AtomicLongArray(layout.tensors().size());
        this.complete = new AtomicIntegerArray(layout.tensors().size());
    }

    /**
     * Starts writing {@code target}: lays out {@code tensors}, creates a temporary file beside it
     * and writes the header.
     *
     * @param target   the file to produce (replaced at commit if it exists)
     * @param tensors  what the file will hold, in any order
     * @param metadata the {@code __metadata__} strings, written sorted by key; null or empty for none
     * @throws IllegalArgumentException on duplicate tensor names
     * @throws Peft4jException          if the file cannot be created
     */
    public static SafetensorsWriter create(Path target, List<TensorSpec> tensors, Map<String, String> metadata) {
        HeaderWriter.Layout layout = HeaderWriter.layout(target, tensors, metadata);
        Path temp = tempSibling(target);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            writeFully(channel, ByteBuffer.wrap(layout.prefix()), 0);
            if (layout.fileSize() > layout.prefix().length) {
                channel.truncate(layout.fileSize());
            }
            return new SafetensorsWriter(target, temp, channel, layout);
        } catch (NoSuchFileException e) {
            throw new Peft4jException(target + ": cannot write: directory " + target.toAbsolutePath().getParent()
                    + " does not exist");
        } catch (IOException e) {
            closeQuietly(channel);
            deleteQuietly(temp);
            throw new Peft4jException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** The entries as they will be in the file, in data order. */
    public List<TensorInfo> layout() {
        return layout.tensors();
    }

    /** The file this writer produces. */
    public Path target() {
        return target;
    }

    /**
     * Writes the raw little-endian bytes of tensor {@code name}.
     *
     * @throws IllegalArgumentException if the name is not in the layout or the size is wrong
     * @throws IllegalStateException    if the tensor was already written or the writer is finished
     */
    public void write(String name, MemorySegment bytes) {
        TensorInfo info = layoutEntry(name);
        if (bytes.byteSize() != info.byteSize()) {
            throw new IllegalArgumentException(target + ": tensor " + name + " needs " + info.byteSize()
                    + " bytes, got " + bytes.byteSize());
        }
        write(name, 0, bytes);
    }

    /**
     * Writes {@code bytes} as the part of tensor {@code name} that starts {@code offset} bytes into
     * its data; the tensor is complete once every byte of it has been written this way. Safe to call
     * from several threads for disjoint parts.
     *
     * @throws IllegalArgumentException if the name is not in the layout or the part lies outside the tensor
     * @throws IllegalStateException    if the tensor was already complete or the writer is finished
     */
    public void write(String name, long offset, MemorySegment bytes) {
        int i = index(name);
        TensorInfo info = layout.tensors().get(i);
        if (offset < 0 || bytes.byteSize() > info.byteSize() - offset) {
            throw new IllegalArgumentException(target + ": bytes [" + offset + ", " + (offset + bytes.byteSize())
                    + ") lie outside tensor " + name + " (" + info.byteSize() + " bytes)");
        }
        checkWritable(i);
        long position = layout.prefix().length + info.begin() + offset;
        try {
            for (long done = 0; done < bytes.byteSize(); done += MAX_WRITE) {
                long n = Math.min(MAX_WRITE, bytes.byteSize() - done);
                writeFully(channel, bytes.asSlice(done, n).asByteBuffer(), position + done);
            }
            syncEvery(bytes.byteSize());
        } catch (IOException e) {
            throw new Peft4jException(target + ": cannot write: " + e.getMessage(), e);
        }
        record(i, bytes.byteSize());
    }

    /** Syncs the data written so far once another {@link #SYNC_BYTES} have been written. */
    private void syncEvery(long written) throws IOException {
        if (unsynced.addAndGet(written) >= SYNC_BYTES) {
            unsynced.set(0);
            channel.force(false);
        }
    }

    /** Writes a tensor of the same name, dtype and shape as one in the layout (e.g. read from another file). */
    public void write(Tensor tensor) {
        TensorInfo info = layoutEntry(tensor.name());
        if (info.dtype() != tensor.dtype() || !Arrays.equals(info.shape(), tensor.shape())) {
            throw new IllegalArgumentException("tensor " + tensor.name() + " is " + tensor.info()
                    + " but the layout says " + info);
        }
        write(tensor.name(), tensor.data());
    }

    /**
     * Writes tensor {@code name} from float32 values, converted to its floating-point dtype with
     * torch's rounding (round to nearest even).
     *
     * @throws IllegalArgumentException if the dtype is not F64, F32, F16, BF16, F8_E4M3 or F8_E5M2, or
     *                                  the count is wrong
     */
    public void write(String name, float[] values) {
        int i = index(name);
        TensorInfo info = layout.tensors().get(i);
        DType dtype = info.dtype();
        if (!FloatEncoder.supports(dtype)) {
            throw new IllegalArgumentException("tensor " + name + " has dtype " + dtype.safetensorsName()
                    + "; float32 values are written only as F64, F32, F16, BF16, F8_E4M3 or F8_E5M2");
        }
        if ((long) values.length * dtype.byteSize() != info.byteSize()) {
            throw new IllegalArgumentException(target + ": tensor " + name + " needs " + info.byteSize()
                    + " bytes, got " + (long) values.length * dtype.byteSize());
        }
        checkWritable(i);
        long position = layout.prefix().length + info.begin();
        try (Arena arena = Arena.ofConfined()) {
            int bufferElements = Math.min(CHUNK, Math.max(values.length, 1));
            MemorySegment buffer = arena.allocate((long) bufferElements * dtype.byteSize());
            for (int from = 0; from < values.length; from += CHUNK) {
                int count = Math.min(CHUNK, values.length - from);
                FloatEncoder.encode(dtype, values, from, count, buffer);
                long bytes = (long) count * dtype.byteSize();
                writeFully(channel, buffer.asSlice(0, bytes).asByteBuffer(), position + (long) from * dtype.byteSize());
                syncEvery(bytes);
            }
        } catch (IOException e) {
            throw new Peft4jException(target + ": cannot write: " + e.getMessage(), e);
        }
        record(i, info.byteSize());
    }

    private int index(String name) {
        Integer i = index.get(name);
        if (i == null) {
            throw new IllegalArgumentException(target + ": tensor " + name + " is not in the layout");
        }
        return i;
    }

    private TensorInfo layoutEntry(String name) {
        return layout.tensors().get(index(name));
    }

    private void checkWritable(int i) {
        if (finished) {
            throw new IllegalStateException(target + ": writer already committed or closed");
        }
        if (complete.get(i) != 0) {
            throw new IllegalStateException(target + ": tensor " + layout.tensors().get(i).name() + " written twice");
        }
    }

    /** Counts {@code bytes} more of tensor {@code i} as written, marking it complete when all are. */
    private void record(int i, long bytes) {
        TensorInfo info = layout.tensors().get(i);
        long total = written.addAndGet(i, bytes);
        if (total > info.byteSize() || total == info.byteSize() && !complete.compareAndSet(i, 0, 1)) {
            throw new IllegalStateException(target + ": tensor " + info.name() + " written twice");
        }
        if (total == info.byteSize()) {
            completed.incrementAndGet();
        }
    }

    /** Whether {@link #finish()} has run (or the writer was closed). */
    boolean isFinished() {
        return finished;
    }

    /** Whether every tensor of the layout has been written. */
    boolean isComplete() {
        return completed.get() == layout.tensors().size();
    }

    /**
     * Checks that every tensor was written, fsyncs, closes and renames the temporary file to the
     * target atomically.
     *
     * @return the target
     * @throws IllegalStateException if a tensor was not written
     */
    public Path commit() {
        finish();
        publish();
        return target;
    }

    /** {@link #finish()} if every tensor is written and it has not run yet. */
    synchronized void finishIfComplete() {
        if (!finished && isComplete()) {
            finish();
        }
    }

    /** Fsyncs and closes the temporary file once every tensor is written (no rename yet). */
    synchronized void finish() {
        if (finished) {
            throw new IllegalStateException(target + ": writer already committed or closed");
        }
        for (int i = 0; i < layout.tensors().size(); i++) {
            if (complete.get(i) == 0) {
                throw new IllegalStateException(target + ": tensor " + layout.tensors().get(i).name()
                        + " was not written");
            }
        }
        finished = true;
        try (channel) {
            channel.force(true);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new Peft4jException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Renames the finished temporary file onto the target. */
    void publish() {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new Peft4jException(target + ": cannot rename the finished file into place: " + e.getMessage(), e);
        }
    }

    /** Deletes the temporary file (unless committed); harmless after commit. */
    @Override
    public synchronized void close() {
        if (!finished) {
            finished = true;
            closeQuietly(channel);
        }
        deleteQuietly(temp);
    }

    /** A fresh hidden temporary path in the same directory as {@code target}. */
    static Path tempSibling(Path target) {
        Path name = target.getFileName();
        return target.resolveSibling("." + name + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the temporary file is deleted next; nothing else depends on this close
            }
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a leftover hidden temporary file is harmless
        }
    }
}
