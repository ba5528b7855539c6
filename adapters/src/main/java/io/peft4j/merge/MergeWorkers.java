package io.peft4j.merge;

import io.peft4j.safetensors.ShardedSafetensorsWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes the blocks of every output tensor on one worker thread per core. Workers take blocks in
 * file order from a shared counter, so only a few tensors are in flight at once and writes stay
 * nearly sequential. A failure stops every worker; the one rethrown to the caller is the failure
 * of the earliest block, the one a merge on a single thread would have met, so the error a user
 * sees does not depend on the number of cores or on timing.
 */
final class MergeWorkers {

    private final List<OutputTensor> tensors;
    private final ShardedSafetensorsWriter writer;
    private final MergeListener listener;
    private final int[] tensorOf;
    private final int[] blockOf;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicReference<Failure> failure = new AtomicReference<>();
    private final long totalBytes;
    private long bytesDone;
    private int tensorsDone;

    private MergeWorkers(List<OutputTensor> tensors, ShardedSafetensorsWriter writer, MergeListener listener,
                         long totalBytes) {
        this.tensors = tensors;
        this.writer = writer;
        this.listener = listener;
        this.totalBytes = totalBytes;
        int count = tensors.stream().mapToInt(OutputTensor::blocks).sum();
        this.tensorOf = new int[count];
        this.blockOf = new int[count];
        int k = 0;
        for (int t = 0; t < tensors.size(); t++) {
            for (int b = 0; b < tensors.get(t).blocks(); b++, k++) {
                tensorOf[k] = t;
                blockOf[k] = b;
            }
        }
    }

    /** Writes every block of {@code tensors} ({@code totalBytes} in all) with up to {@code threads} threads. */
    static void run(List<OutputTensor> tensors, ShardedSafetensorsWriter writer, MergeListener listener,
                    long totalBytes, int threads) {
        new MergeWorkers(tensors, writer, listener, totalBytes).run(threads);
    }

    private void run(int threads) {
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < Math.max(1, Math.min(threads, tensorOf.length)); i++) {
            workers.add(Thread.ofPlatform().name("peft4j-merge-" + i).daemon().start(this::work));
        }
        try {
            for (Thread worker : workers) {
                worker.join();
            }
        } catch (InterruptedException e) {
            fail(-1, e);
            workers.forEach(Thread::interrupt);
            workers.forEach(MergeWorkers::joinQuietly);
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get() == null ? null : failure.get().cause();
        if (t instanceof InterruptedException) {
            throw new MergeException("merge interrupted", t);
        } else if (t instanceof RuntimeException e) {
            throw e;
        } else if (t instanceof Error e) {
            throw e;
        } else if (t != null) {
            throw new MergeException(t.toString(), t);
        }
    }

    private void work() {
        int k = -1;
        try (Scratch scratch = new Scratch()) {
            for (k = next.getAndIncrement(); k < tensorOf.length && before(k, failure.get()); k = next.getAndIncrement()) {
                OutputTensor tensor = tensors.get(tensorOf[k]);
                long bytes = tensor.write(blockOf[k], scratch, writer);
                report(tensor, bytes, tensor.blockDone());
            }
        } catch (Throwable t) {
            fail(k, t);
        }
    }

    /** Whether block {@code k} still matters: nothing failed, or only a later block. */
    private static boolean before(int k, Failure failed) {
        return failed == null || k < failed.block();
    }

    /** Keeps the failure of the earliest block ({@code -1}: the caller was interrupted, which wins). */
    private void fail(int block, Throwable cause) {
        failure.accumulateAndGet(new Failure(block, cause), (old, now) -> old == null || now.block() < old.block() ? now : old);
    }

    /** A worker's failure at a block (blocks are numbered in file order). */
    private record Failure(int block, Throwable cause) {}

    private synchronized void report(OutputTensor tensor, long bytes, boolean complete) {
        bytesDone += bytes;
        if (complete) {
            tensorsDone++;
        }
        listener.progress(new MergeListener.Progress(tensor.name(), tensorsDone, tensors.size(), bytesDone, totalBytes));
    }

    private static void joinQuietly(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
