package io.peft4j.merge;

import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.FloatEncoder;
import io.peft4j.safetensors.ShardedSafetensorsWriter;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One tensor of the merged checkpoint, written in blocks that any worker thread may take: copied
 * byte for byte when nothing changes it, otherwise computed row by row (the base or its
 * replacement, then every update in order, rounded to the base dtype as PEFT does, then encoded in
 * the output dtype). Unless allowed, a value an update makes NaN or infinite is refused, naming the
 * adapter, as PEFT's {@code safe_merge} refuses it after each adapter. A block is at most {@link #BLOCK_ELEMENTS} values (or {@link #COPY_BYTES}
 * copied bytes), so memory does not grow with the tensor. The float32 factors of the updates are
 * read when the first block starts and dropped when the last one ends.
 */
final class OutputTensor {

    /** Values computed per block (4 MB as float32). */
    static final int BLOCK_ELEMENTS = 1 << 20;
    /** Bytes per block of a tensor copied unchanged. */
    static final long COPY_BYTES = 16L << 20;
    /** Rows of a weight computed together (the delta kernel is cheaper for several rows at once). */
    static final int ROW_GROUP = 4;

    private final TensorInfo info;
    private final Tensor source;
    private final boolean replaced;
    private final List<TensorUpdate> updates;
    private final DType outDtype;
    private final boolean allowNonFinite;
    private final boolean copy;
    private final long numel;
    private final int width;
    private final long rows;
    private final int group;
    private final long rowsPerBlock;
    private final int blocks;
    private final AtomicInteger blocksLeft;
    private List<RowUpdate> prepared;

    /**
     * @param info     the base tensor's entry (name, dtype that updates round to, shape)
     * @param source   the base tensor, or the adapter's replacement of it
     * @param replaced whether {@code source} is a replacement (rounded to the base dtype first)
     * @param updates  the updates, applied in this order
     * @param outDtype the dtype written
     * @param allowNonFinite whether NaN and infinite merged values are written rather than refused
     */
    OutputTensor(TensorInfo info, Tensor source, boolean replaced, List<TensorUpdate> updates, DType outDtype,
                 boolean allowNonFinite) {
        this.info = info;
        this.source = source;
        this.replaced = replaced;
        this.updates = List.copyOf(updates);
        this.outDtype = outDtype;
        this.allowNonFinite = allowNonFinite;
        this.copy = !replaced && updates.isEmpty() && outDtype == info.dtype();
        this.numel = info.numel();
        boolean byRow = updates.stream().anyMatch(u -> !u.bias());
        this.width = numel == 0 ? 1 : Math.toIntExact(byRow ? numel / info.dim(0) : Math.min(numel, BLOCK_ELEMENTS));
        this.rows = (numel + width - 1) / width;
        this.group = byRow ? ROW_GROUP : 1;
        this.rowsPerBlock = Math.max(group, BLOCK_ELEMENTS / width / group * group);
        long count = copy ? (info.byteSize() + COPY_BYTES - 1) / COPY_BYTES : (rows + rowsPerBlock - 1) / rowsPerBlock;
        this.blocks = Math.toIntExact(Math.max(1, count));
        this.blocksLeft = new AtomicInteger(blocks);
    }

    /** The tensor's name. */
    String name() {
        return info.name();
    }

    /** Whether nothing changes the tensor, so its bytes are copied. */
    boolean copied() {
        return copy;
    }

    /** The number of blocks. */
    int blocks() {
        return blocks;
    }

    /** Writes block {@code block} and returns its size in bytes. */
    long write(int block, Scratch scratch, ShardedSafetensorsWriter writer) {
        if (copy) {
            MemorySegment data = source.data();
            long from = block * COPY_BYTES;
            MemorySegment part = data.asSlice(from, Math.min(COPY_BYTES, data.byteSize() - from));
            writer.write(info.name(), from, part);
            return part.byteSize();
        }
        List<RowUpdate> rowUpdates = prepared(scratch);
        long firstRow = block * rowsPerBlock;
        long endRow = Math.min(rows, firstRow + rowsPerBlock);
        long firstElement = firstRow * width;
        int outSize = outDtype.byteSize();
        MemorySegment staging = scratch.staging((Math.min(numel, endRow * width) - firstElement) * outSize);
        for (long row = firstRow; row < endRow; row += group) {
            long first = row * width;
            int count = (int) Math.min((long) group * width, Math.min(numel, endRow * width) - first);
            float[] values = scratch.values(group * width);
            source(first, values, count);
            if (replaced) {
                requireFinite(values, count, "the adapter's replacement " + source.name());
            }
            for (int u = 0; u < rowUpdates.size(); u++) {
                rowUpdates.get(u).apply((int) row, first, values, count, scratch.delta(group * width), info.dtype());
                TensorUpdate update = updates.get(u);
                requireFinite(values, count, update.adapter() + " (module " + update.module().moduleName() + ")");
            }
            FloatEncoder.encode(outDtype, values, 0, count,
                    staging.asSlice((first - firstElement) * outSize, (long) count * outSize));
        }
        writer.write(info.name(), firstElement * outSize, staging);
        return staging.byteSize();
    }

    private void requireFinite(float[] values, int count, String cause) {
        int j = allowNonFinite ? -1 : FloatEncoder.firstNonFinite(values, 0, count);
        if (j >= 0) {
            throw new MergeException(cause + " makes " + info.name() + " " + values[j] + ": NaN or Inf in the adapter's"
                    + " weights, or a scaling too large for the dtype; refused as PEFT's safe_merge refuses it"
                    + " (--allow-non-finite / MergeOptions.Builder.allowNonFinite(true) writes it anyway)");
        }
    }

    /** Marks a block done; true when it was the last one (the tensor is complete). */
    boolean blockDone() {
        if (blocksLeft.decrementAndGet() > 0) {
            return false;
        }
        synchronized (this) {
            prepared = null;
        }
        return true;
    }

    /** The starting values of elements {@code [first, first + count)}: the base, or its replacement rounded. */
    private void source(long first, float[] values, int count) {
        source.toFloats(first, values, 0, count);
        if (replaced) {
            FloatEncoder.round(info.dtype(), values, 0, count);
        }
    }

    /** The updates ready to apply, made once; DoRA norms need one pass over the whole unmerged weight. */
    private synchronized List<RowUpdate> prepared(Scratch scratch) {
        if (prepared == null) {
            List<RowUpdate> ready = new ArrayList<>(updates.size());
            for (TensorUpdate update : updates) {
                ready.add(update.prepare());
            }
            List<RowUpdate> dora = ready.stream().filter(RowUpdate::dora).toList();
            if (!dora.isEmpty()) {
                for (long row = 0; row < rows; row++) {
                    float[] w0 = scratch.values(width);
                    source(row * width, w0, width);
                    for (RowUpdate update : dora) {
                        update.addToNorms((int) row, w0, width, scratch.delta(width));
                    }
                }
                dora.forEach(RowUpdate::finishNorms);
            }
            prepared = ready;
        }
        return prepared;
    }
}
